package dev.tally.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;

/** A small HTTP client for Tally's API in tests. */
final class TallyClient {

  record Response(int status, JsonNode body, String retryAfter) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final int port;
  private final String base;

  TallyClient(int port) {
    this.port = port;
    this.base = "http://localhost:" + port;
  }

  int port() {
    return port;
  }

  /**
   * Waits until the instance answers {@code /health/ready} with 200. A refused connection (a process
   * still starting) or a 503 (Streams still rebalancing) is "not yet", never a failure.
   */
  TallyClient awaitReady() {
    Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> get("/health/ready").status() == 200);
    return this;
  }

  Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Response post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** The counter's total, increments and decrements as {@code [total, increments, decrements]}. */
  long[] counter(String id) {
    Response response = get("/v1/counters/" + id);
    if (response.status() != 200) {
      throw new AssertionError("GET " + id + " answered " + response.status() + " " + response.body());
    }
    JsonNode body = response.body();
    return new long[] {body.get("total").longValue(), body.get("increments").longValue(),
        body.get("decrements").longValue()};
  }

  /** The body of a GET that answers text, such as {@code /metrics}. */
  String text(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), json.readTree(response.body()),
          response.headers().firstValue("Retry-After").orElse(null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
