package dev.tally.bench;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One client sending requests back to back over one keep-alive HTTP/1.1 connection, timing each from
 * the first byte written to the last byte of its answer read: the 1-client latency rows of
 * {@code bench/http.sh}.
 *
 * <p>Why not {@code wrk -c1} for those: on the same {@code serve}, back to back, {@code wrk -t1 -c1}
 * reported a p99 of 1.7-2.0 ms for {@code GET /health/live} where this client measured 0.14 ms and
 * {@code ab -k -c1} put 99% of requests under 1 ms (docs/benchmarks.md); against a bare Javalin
 * server all three agree. The throughput rows, with many clients, stay with {@code wrk}.
 *
 * <pre>OneClient NAME PORT SECONDS PATHS_FILE [BODY [HEADER: VALUE]...]</pre>
 *
 * Each request goes to a random line of {@code PATHS_FILE}; with a {@code BODY} it is a JSON POST. The
 * first fifth of the time warms up, untimed. Prints one tab-separated row: name, requests/s, events/s,
 * p50, p90 and p99 in ms, and the count of answers that were not 2xx.
 */
public final class OneClient {

  private OneClient() {}

  public static void main(String[] args) throws IOException {
    String name = args[0];
    int port = Integer.parseInt(args[1]);
    long nanos = (long) (Double.parseDouble(args[2]) * 1e9);
    List<String> paths = Files.readAllLines(Path.of(args[3])).stream().filter(line -> !line.isBlank()).toList();
    String body = args.length > 4 ? args[4] : null;
    List<String> headers = args.length > 5 ? Arrays.asList(args).subList(5, args.length) : List.of();

    List<Long> timed = new ArrayList<>();
    int errors = 0;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      long start = System.nanoTime();
      long warm = start + nanos / 5;
      long end = start + nanos;
      long timedStart = 0;
      for (long now = start; now < end; now = System.nanoTime()) {
        byte[] request = request(paths.get(ThreadLocalRandom.current().nextInt(paths.size())), body, headers);
        long sent = System.nanoTime();
        out.write(request);
        out.flush();
        int status = readAnswer(in);
        long took = System.nanoTime() - sent;
        if (sent >= warm) {
          if (timedStart == 0) {
            timedStart = sent;
          }
          timed.add(took);
          errors += status / 100 == 2 ? 0 : 1;
        }
      }
      long[] sorted = timed.stream().mapToLong(Long::longValue).sorted().toArray();
      double perSecond = sorted.length / ((System.nanoTime() - timedStart) / 1e9);
      System.out.println(String.join("\t", name, String.format(Locale.ROOT, "%.0f", perSecond),
          String.format(Locale.ROOT, "%.0f", perSecond), ms(sorted, 0.50), ms(sorted, 0.90), ms(sorted, 0.99),
          Integer.toString(errors)));
    }
  }

  private static byte[] request(String path, String body, List<String> headers) {
    StringBuilder request = new StringBuilder(body == null ? "GET " : "POST ").append(path)
        .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    headers.forEach(header -> request.append(header).append("\r\n"));
    if (body != null) {
      request.append("Content-Type: application/json\r\nContent-Length: ")
          .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(body);
    } else {
      request.append("\r\n");
    }
    return request.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads one answer to its end (Content-Length or chunked) and returns its status. */
  private static int readAnswer(InputStream in) throws IOException {
    String statusLine = line(in);
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    long length = -1;
    boolean chunked = false;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring("content-length:".length()).strip());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      for (int size = Integer.parseInt(line(in).split(";")[0].strip(), 16); size > 0;
          size = Integer.parseInt(line(in).split(";")[0].strip(), 16)) {
        in.skipNBytes(size);
        line(in);
      }
      line(in);
    } else if (length > 0) {
      in.skipNBytes(length);
    }
    return status;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the server closed the connection");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  private static String ms(long[] sorted, double quantile) {
    return String.format(Locale.ROOT, "%.2f", sorted[(int) Math.min(sorted.length - 1, sorted.length * quantile)] / 1e6);
  }
}
