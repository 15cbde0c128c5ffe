package dev.tally.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** A bar chart of counted events/s per workload as a ratio to the produce ceiling, drawn with Java2D. */
final class Plot {

  private Plot() {}

  @SuppressWarnings("unchecked")
  static void ratios(Map<String, Object> results, Path png) throws IOException {
    Map<String, Map<String, Object>> counted = (Map<String, Map<String, Object>>) results.get("counted");
    List<String> names = new ArrayList<>(counted.keySet());
    int width = 1000;
    int rowHeight = 34;
    int left = 330;
    int height = 90 + rowHeight * names.size();
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString("Tally counted events/s as a ratio to Kafka's produce ceiling (same run)", 20, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    int chart = width - left - 40;
    for (int i = 0; i < names.size(); i++) {
      double ratio = ((Number) counted.get(names.get(i)).get("ratioToProduceCeiling")).doubleValue();
      int y = 55 + i * rowHeight;
      g.setColor(Color.BLACK);
      g.drawString(names.get(i), 20, y + 18);
      g.setColor(names.get(i).contains("exactly") ? new Color(0x2f6db5) : new Color(0x7aa6dc));
      g.fillRect(left, y + 4, (int) Math.min(chart, chart * ratio), rowHeight - 10);
      g.setColor(Color.BLACK);
      g.drawString(String.format("%.2f", ratio), left + (int) Math.min(chart - 40, chart * ratio) + 6, y + 18);
    }
    int bottom = 55 + names.size() * rowHeight;
    g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f}, 0f));
    g.setColor(Color.RED);
    g.drawLine(left + chart / 2, 45, left + chart / 2, bottom);
    g.drawString("target 0.5", left + chart / 2 + 4, bottom + 18);
    g.setColor(Color.DARK_GRAY);
    g.drawLine(left + chart, 45, left + chart, bottom);
    g.drawString("ceiling 1.0", left + chart - 70, bottom + 18);
    g.dispose();
    ImageIO.write(image, "png", png.toFile());
  }
}
