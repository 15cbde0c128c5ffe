package dev.tally.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.ingest.CounterRateLimit;
import dev.tally.ingest.EventSender;
import dev.tally.ingest.IngestService;
import dev.tally.query.Readiness;
import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A stop while increments wait for Kafka: each one sent is answered, and a request that arrives during the
 * stop is turned away, never sent. Without Jetty's graceful handler, a stop closed the connections of
 * requests in flight at once while their sends went on, so an increment could be counted and its client
 * told nothing (RestartIT caught it under load, about one stop in fifteen).
 */
class HttpApiStopTest {

  /** Sends that Kafka has not acknowledged yet: the test acknowledges them. */
  private final BlockingQueue<CompletableFuture<RecordMetadata>> held = new LinkedBlockingQueue<>();
  private final EventSender kafka = event -> {
    CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
    held.add(ack);
    return ack;
  };
  private HttpApi api;

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void aStopAnswersTheIncrementsInFlightAndTurnsAwayNewOnes() throws Exception {
    TallyConfig config = TallyConfig.defaults();
    IngestService ingest = new IngestService(kafka, kafka, Clock.systemUTC(), Duration.ofSeconds(30), config,
        new CounterRateLimit(0, Clock.systemUTC(), counter -> {}), Limits.DEFAULTS);
    // No reads, pins or peers in this test: those parts are left out.
    api = new HttpApi(ingest, null, null, null, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> new Readiness(KafkaStreams.State.RUNNING, List.of()), BearerAuth.off(), PeerSecret.none(),
        Limits.DEFAULTS).start("127.0.0.1", 0, 0);
    int port = api.port();

    try (Socket inFlight = new Socket("127.0.0.1", port); Socket keptAlive = new Socket("127.0.0.1", port)) {
      send(inFlight, "POST /v1/counters/a/increments", "{}");
      await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
      send(keptAlive, "GET /health/live", "");
      assertThat(answer(keptAlive).status()).isEqualTo(200);

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(api::close);
      // The stop has begun once the listener takes no new connection.
      await().atMost(Duration.ofSeconds(10)).until(() -> !accepts(port));
      send(keptAlive, "POST /v1/counters/b/increments", "{}");
      Answer turnedAway = answer(keptAlive);
      assertThat(turnedAway.status()).as("a request that arrives during the stop").isEqualTo(503);
      assertThat(turnedAway.head()).contains("Retry-After: 1").contains("application/json");
      assertThat(turnedAway.body()).contains("\"error\":\"this instance is stopping");

      held.remove().complete(new RecordMetadata(new TopicPartition("tally.increments", 0), 41, 0, 0, 0, 0));
      assertThat(answer(inFlight).status()).as("the increment in flight when the stop began").isEqualTo(202);
      stopped.get();
      assertThat(held).as("sends after the stop began").isEmpty();
    }
    api = null;
  }

  private static void send(Socket socket, String requestLine, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = requestLine + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + bytes.length + "\r\n\r\n";
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  /** An answer read off a socket: its status (0 if the connection closed first), head and body. */
  private record Answer(int status, String head, String body) {}

  /** The next answer on {@code socket}, its body read to the end. */
  private static Answer answer(Socket socket) throws IOException {
    socket.setSoTimeout(10_000);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return new Answer(0, head.toString(StandardCharsets.US_ASCII), "");
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.US_ASCII);
    int length = text.lines().filter(line -> line.toLowerCase(Locale.ROOT).startsWith("content-length:"))
        .mapToInt(line -> Integer.parseInt(line.substring(line.indexOf(':') + 1).trim())).findFirst().orElse(0);
    String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
    return new Answer(Integer.parseInt(text.split(" ")[1]), text, body);
  }

  private static boolean accepts(int port) {
    try (Socket probe = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
