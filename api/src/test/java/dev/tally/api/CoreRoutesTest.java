package dev.tally.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.ingest.CounterRateLimit;
import dev.tally.ingest.EventSender;
import dev.tally.ingest.IngestService;
import dev.tally.query.Readiness;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The routes served ahead of Javalin: each answer as the Javalin routes gave it (status, JSON, headers),
 * what an increment sends to Kafka, and every other request passed through. A point read's answers
 * from the stores are covered against a real broker (CountingIT, MultiInstanceIT, HttpFuzzIT); here,
 * with no stores, only what it refuses.
 */
class CoreRoutesTest {

  private static final Limits SMALL_BODIES = new Limits(2048, 100, 200, 8192, 10);
  private static final ObjectMapper json = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<IncrementEvent> sent = new CopyOnWriteArrayList<>();
  /** What Kafka answers to each send; acknowledged at offset 7 unless a test says otherwise. */
  private Function<IncrementEvent, CompletableFuture<RecordMetadata>> kafka =
      event -> CompletableFuture.completedFuture(new RecordMetadata(new TopicPartition("tally.increments", 2), 7, 0, 0, 0, 0));
  private HttpApi api;

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  private void start(BearerAuth auth) {
    TallyConfig config = TallyConfig.defaults();
    EventSender sender = event -> {
      sent.add(event);
      return kafka.apply(event);
    };
    IngestService ingest = new IngestService(sender, sender, Clock.systemUTC(), Duration.ofSeconds(30), config,
        new CounterRateLimit(0, Clock.systemUTC(), counter -> {}), SMALL_BODIES);
    api = new HttpApi(ingest, null, null, null, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> new Readiness(KafkaStreams.State.RUNNING, List.of()), auth, PeerSecret.none(), SMALL_BODIES)
        .start("127.0.0.1", 0, 0);
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The whole answer to {@code request}, written as is on a new connection that the server closes. */
  private String raw(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", api.port())) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDurableIncrementIsAnsweredOnceKafkaHasItWithItsPosition() throws Exception {
    start(BearerAuth.off());
    HttpResponse<String> answer = post("/v1/counters/page:home/increments", "{\"delta\":5,\"item\":\"u1\"}");

    assertThat(answer.statusCode()).isEqualTo(202);
    assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = json.readTree(answer.body());
    assertThat(body.get("accepted").intValue()).isEqualTo(1);
    assertThat(body.get("durable").booleanValue()).isTrue();
    assertThat(body.get("position").asText()).isNotBlank();
    assertThat(sent).singleElement().satisfies(event -> {
      assertThat(event.getCounter()).isEqualTo("page:home");
      assertThat(event.getDelta()).isEqualTo(5);
      assertThat(event.getItem()).isEqualTo("u1");
    });
  }

  @Test
  void respondAsyncAnswersBeforeKafkaAndSaysSo() throws Exception {
    kafka = event -> new CompletableFuture<>(); // never acknowledged
    start(BearerAuth.off());
    HttpResponse<String> answer = post("/v1/counters/a/increments", "", "Prefer", "wait=5, respond-async");

    assertThat(answer.statusCode()).isEqualTo(202);
    assertThat(answer.headers().firstValue("Preference-Applied")).hasValue("respond-async");
    JsonNode body = json.readTree(answer.body());
    assertThat(body.get("durable").booleanValue()).isFalse();
    assertThat(body.get("position").isNull()).isTrue();
    assertThat(sent).hasSize(1);
  }

  @Test
  void theRouteMatchesAsJavalinsDid() throws Exception {
    start(BearerAuth.off());
    assertThat(post("/v1/counters/a/increments/", "{}").statusCode()).as("a trailing slash").isEqualTo(202);
    assertThat(post("/v1/counters/b%3Ac/increments", "{}").statusCode()).as("percent-encoded").isEqualTo(202);
    assertThat(sent).extracting(IncrementEvent::getCounter).containsExactly("a", "b:c");

    HttpResponse<String> noId = post("/v1/counters//increments", "{}");
    assertThat(noId.statusCode()).isEqualTo(404);
    assertThat(noId.body()).contains("no route POST /v1/counters//increments");
    assertThat(post("/v1/counters/a/b/increments", "{}").statusCode()).isEqualTo(404);
    assertThat(get("/health/live").statusCode()).as("another route, passed through").isEqualTo(200);
    assertThat(get("/v1/counters/a/increments").statusCode()).as("a GET of the increments route").isEqualTo(404);
    assertThat(sent).hasSize(2);
  }

  @Test
  void badInputIsA400AndAnOversizedBodyA413WithNothingSent() throws Exception {
    start(BearerAuth.off());
    HttpResponse<String> badDelta = post("/v1/counters/a/increments", "{\"delta\":\"x\"}");
    assertThat(badDelta.statusCode()).isEqualTo(400);
    assertThat(json.readTree(badDelta.body()).get("error").asText()).contains("delta");

    assertThat(post("/v1/counters/a/increments", "{not json").statusCode()).isEqualTo(400);
    HttpResponse<String> badId = post("/v1/counters/a%25b/increments", "{}");
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(json.readTree(badId.body()).get("error").asText()).contains("may only contain");

    String big = "{\"delta\":1,\"item\":\"" + "x".repeat(4000) + "\"}";
    HttpResponse<String> declared = post("/v1/counters/a/increments", big);
    assertThat(declared.statusCode()).as("a Content-Length over the limit").isEqualTo(413);
    assertThat(json.readTree(declared.body()).get("error").asText()).contains("at most 2048 bytes");

    HttpRequest chunked = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/v1/counters/a/increments"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
        .build();
    HttpResponse<String> streamed = http.send(chunked, HttpResponse.BodyHandlers.ofString());
    assertThat(streamed.statusCode()).as("a chunked body that runs over the limit").isEqualTo(413);
    assertThat(sent).isEmpty();
  }

  @Test
  void aPointReadRefusesWhatJavalinsRouteRefused() throws Exception {
    start(BearerAuth.off());
    HttpResponse<String> badId = get("/v1/counters/a%25b");
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(json.readTree(badId.body()).get("error").asText()).contains("may only contain");
    HttpResponse<String> consistency = get("/v1/counters/a?consistency=maybe");
    assertThat(consistency.statusCode()).isEqualTo(400);
    assertThat(json.readTree(consistency.body()).get("error").asText()).contains("consistency must be eventual or strong");
    assertThat(get("/v1/counters/a/?after=not-a-token").statusCode()).isEqualTo(400);
    String head = raw("HEAD /v1/counters/a%25b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(head).as("HEAD, as Javalin answered it for a GET route").startsWith("HTTP/1.1 400").doesNotContain("{");
    String query = raw("GET /v1/counters/a?after=%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(query).as("a query string Jetty cannot decode").startsWith("HTTP/1.1 400").contains("{\"error\":");
  }

  @Test
  void kafkaNotAcknowledgingIsA503WithRetryAfter() throws Exception {
    kafka = event -> CompletableFuture.failedFuture(new TimeoutException("no broker"));
    start(BearerAuth.off());
    HttpResponse<String> answer = post("/v1/counters/a/increments", "{}");

    assertThat(answer.statusCode()).isEqualTo(503);
    assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(json.readTree(answer.body()).get("error").asText()).isNotBlank();
  }

  @Test
  void aTokenWithoutTheRouteRoleIsTurnedAwayBeforeAnythingIsSentOrRead(@TempDir Path dir) throws Exception {
    Path tokens = Files.writeString(dir.resolve("tokens"), "writer write\nreader read\n");
    start(BearerAuth.fromFile(tokens));

    HttpResponse<String> none = post("/v1/counters/a/increments", "{}");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(post("/v1/counters/a/increments", "{}", "Authorization", "Bearer nobody").statusCode()).isEqualTo(401);
    HttpResponse<String> reader = post("/v1/counters/a/increments", "{}", "Authorization", "Bearer reader");
    assertThat(reader.statusCode()).isEqualTo(403);
    assertThat(json.readTree(reader.body()).get("error").asText()).contains("write");
    assertThat(sent).isEmpty();

    assertThat(post("/v1/counters/a/increments", "{}", "Authorization", "Bearer writer").statusCode()).isEqualTo(202);
    assertThat(sent).hasSize(1);

    assertThat(get("/v1/counters/a").statusCode()).as("a read without a token").isEqualTo(401);
    HttpResponse<String> writer = get("/v1/counters/a", "Authorization", "Bearer writer");
    assertThat(writer.statusCode()).isEqualTo(403);
    assertThat(json.readTree(writer.body()).get("error").asText()).contains("read");
  }
}
