package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 3: the dashboard at {@code GET /}, rendered by real headless Chromium (Debian's
 * {@code chromium}, which {@code .ci/run} installs) against a running node; the numbers it draws, kept
 * in the page's data attributes, equal what the API answers. Leaves a screenshot in
 * {@code target/dashboard.png}.
 */
class DashboardIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COUNTER = "dash:home";

  /** Chromium's profile and output. */
  @TempDir
  static Path scratch;

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("dashboard-it", 3, 1);

  @Test
  void theDashboardDrawsWhatTheApiAnswers() throws Exception {
    Path chromium = chromium();
    // Minutes of the last hour, oldest first so that none is late.
    Instant now = Instant.now();
    StringBuilder events = new StringBuilder();
    long expectedTotal = 0;
    for (int minutesAgo = 50; minutesAgo >= 0; minutesAgo -= 7) {
      long delta = 100 - minutesAgo;
      expectedTotal += delta - 1;
      events.append(String.format("{\"counter\":\"%s\",\"delta\":%d,\"item\":\"u%d\",\"eventTime\":\"%s\"}%n",
          COUNTER, delta, minutesAgo, now.minus(Duration.ofMinutes(minutesAgo))));
      events.append(String.format("{\"counter\":\"%s\",\"delta\":-1,\"eventTime\":\"%s\"}%n",
          COUNTER, now.minus(Duration.ofMinutes(minutesAgo))));
    }
    events.append("{\"counter\":\"dash:other\",\"delta\":3}\n");
    assertThat(tally.client().post("/v1/events", events.toString()).status()).isEqualTo(202);
    long total = expectedTotal;
    await().atMost(Duration.ofSeconds(30)).until(() -> tally.client().counter(COUNTER)[0] == total);

    String url = "http://localhost:" + tally.node().httpPort() + "/?counter=" + COUNTER;
    String dom = run(chromium, "--dump-dom", url);
    run(chromium, "--window-size=1280,1100", "--screenshot=" + Path.of("target", "dashboard.png").toAbsolutePath(), url);

    assertThat(text(dom, "status")).as("errors the page shows").isEmpty();
    JsonNode counter = api("/v1/counters/" + COUNTER);
    assertThat(value(dom, "total")).isEqualTo(counter.get("total").asText()).isEqualTo(Long.toString(total));
    assertThat(value(dom, "increments")).isEqualTo(counter.get("increments").asText());
    assertThat(value(dom, "decrements")).isEqualTo(counter.get("decrements").asText());
    assertThat(value(dom, "shards")).isEqualTo(counter.get("shards").asText());
    JsonNode uniques = api("/v1/counters/" + COUNTER + "/uniques");
    assertThat(value(dom, "uniques")).isEqualTo(uniques.get("estimate").asText()).isEqualTo("8");
    assertThat(value(dom, "uniques-lower")).isEqualTo(uniques.get("lowerBound").asText());
    assertThat(value(dom, "uniques-upper")).isEqualTo(uniques.get("upperBound").asText());

    // Each chart's bars, against the API's windows over the same range.
    for (Map.Entry<String, Duration> chart : Map.of("chart-hour", Duration.ofMinutes(1), "chart-day",
        Duration.ofHours(1)).entrySet()) {
      JsonNode drawn = JSON.readTree(attribute(dom, chart.getKey(), "data-points"));
      assertThat(drawn.size()).as(chart.getKey()).isGreaterThan(20);
      Instant from = Instant.parse(drawn.get(0).get(0).asText());
      Instant to = Instant.parse(drawn.get(drawn.size() - 1).get(0).asText()).plus(chart.getValue());
      JsonNode windows = api("/v1/counters/" + COUNTER + "/windows?size=" + chart.getValue() + "&from=" + from
          + "&to=" + to).get("windows");
      Map<String, Long> expected = new TreeMap<>();
      windows.forEach(window -> expected.put(window.get("start").asText(), window.get("count").asLong()));
      Map<String, Long> points = new TreeMap<>();
      drawn.forEach(point -> points.put(point.get(0).asText(), point.get(1).asLong()));
      assertThat(points).as(chart.getKey()).isEqualTo(expected);
      assertThat(points.values().stream().mapToLong(Long::longValue).sum()).as(chart.getKey()).isEqualTo(total);
    }

    List<String> topRows = rows(dom, "data-counter");
    JsonNode top = api("/v1/top?limit=10").get("counters");
    List<String> apiTop = new ArrayList<>();
    top.forEach(row -> apiTop.add(row.get("counter").asText()));
    assertThat(topRows).isEqualTo(apiTop);
    List<String> instanceRows = rows(dom, "data-address");
    List<String> apiInstances = new ArrayList<>();
    List<String> apiLags = new ArrayList<>();
    api("/v1/instances").forEach(instance -> {
      apiInstances.add(instance.get("address").asText());
      apiLags.add(instance.get("lag").asText());
    });
    assertThat(instanceRows).isEqualTo(apiInstances).hasSize(1);
    assertThat(rows(dom, "data-lag")).as("an idle instance's lag").isEqualTo(apiLags).containsExactly("0");
  }

  /**
   * A GET of the dashboard that carries a body (5,000 bytes, sent 200 ms after the headers): the answer,
   * sent before the request was read to the end, left the keep-alive connection closed without a
   * {@code Connection: close}, and the next request on it failed (HttpFuzzIT met it by chance). Now
   * the same connection answers a second request.
   */
  @Test
  void aGetWithABodyLeavesItsConnectionUsable() throws Exception {
    byte[] body = "[".repeat(5_000).getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket("localhost", tally.node().httpPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(200); // the body arrives after the answer has gone: what the race needs, every time
      out.write(body);
      out.flush();
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
      Map<String, String> first = readResponse(in);
      assertThat(first).containsEntry(":status", "200");
      assertThat(first.getOrDefault("connection", "")).doesNotContainIgnoringCase("close");

      out.write("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readResponse(in)).as("a second request on the same connection").containsEntry(":status", "200");
    }
  }

  /** One HTTP/1.1 response with a Content-Length: its status (":status") and headers, lower-cased; the body is skipped. */
  private static Map<String, String> readResponse(BufferedInputStream in) throws IOException {
    Map<String, String> headers = new TreeMap<>();
    String status = readLine(in);
    assertThat(status).as("a status line, not the end of the connection").startsWith("HTTP/1.1 ");
    headers.put(":status", status.split(" ")[1]);
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    in.readNBytes(Integer.parseInt(headers.get("content-length")));
    return headers;
  }

  private static String readLine(BufferedInputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return line.toString();
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  /** Debian's Chromium, or the test is skipped where it is not installed (`.ci/run` installs it). */
  private static Path chromium() {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    Assumptions.abort("no Chromium here: apt-get install chromium (.ci/run does)");
    return null;
  }

  /** Headless Chromium on {@code url}, given time for the page's requests; what it printed. */
  private static String run(Path chromium, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(scratch, "chromium"),
        "--virtual-time-budget=10000"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(scratch, "chromium", ".out");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("Chromium did not finish within 90 s: " + command);
    }
    assertThat(process.exitValue()).as("Chromium's exit").isZero();
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static JsonNode api(String path) {
    TallyClient.Response response = tally.client().get(path);
    assertThat(response.status()).as(path).isEqualTo(200);
    return response.body();
  }

  private static String value(String dom, String id) {
    return attribute(dom, id, "data-value");
  }

  private static String attribute(String dom, String id, String name) {
    Matcher element = Pattern.compile("<[^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(dom);
    assertThat(element.find()).as("element #%s", id).isTrue();
    Matcher attribute = Pattern.compile("\\b" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(element.group());
    assertThat(attribute.find()).as("#%s %s", id, name).isTrue();
    return unescape(attribute.group(1));
  }

  private static String text(String dom, String id) {
    Matcher element = Pattern.compile("\\bid=\"" + Pattern.quote(id) + "\"[^>]*>([^<]*)<").matcher(dom);
    assertThat(element.find()).as("element #%s", id).isTrue();
    return unescape(element.group(1));
  }

  /** The values of {@code name} on the table rows that carry it, in order. */
  private static List<String> rows(String dom, String name) {
    List<String> values = new ArrayList<>();
    Matcher row = Pattern.compile("<tr\\b[^>]*\\b" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(dom);
    while (row.find()) {
      values.add(unescape(row.group(1)));
    }
    return values;
  }

  private static String unescape(String html) {
    return html.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }
}
