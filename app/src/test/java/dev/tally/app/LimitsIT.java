package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14, item 6: every request limit is configurable, and a request past one is refused whole with
 * a message that names it; nothing of it is counted. The node runs with tight limits.
 */
class LimitsIT {

  private static final Limits TIGHT = new Limits(64 * 1024, 100, 20, 2048, 3);

  private static final HttpClient http = HttpClient.newHttpClient();

  @RegisterExtension
  static final RunningNode tally = new RunningNode(dataDir -> new NodeSettings(Optional.empty(), 0, "localhost", 0, 0,
      "127.0.0.1", Optional.empty(), dataDir, 3, 1, "limits-it-" + UUID.randomUUID(), "exactly_once_v2", 1,
      TallyConfig.defaults(), 0, Map.of(), 0, Optional.empty(), Map.of(), TIGHT));

  @Test
  void aBatchOverTheEventOrByteLimitIsRefusedWhole() {
    TallyClient.Response tooMany = tally.client().post("/v1/events", ndjson("many", 101, ""));
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(tooMany.body().get("error").asText()).contains("at most 100 events");

    String item = "x".repeat(1_000);
    TallyClient.Response tooBig = tally.client().post("/v1/events", ndjson("big", 70, item));
    assertThat(tooBig.status()).isEqualTo(413);
    assertThat(tooBig.body().get("error").asText()).contains("at most 65536 bytes");

    assertThat(tally.client().post("/v1/events", ndjson("fits", 100, "")).status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(tally.client().counter("fits")[0]).isEqualTo(100));
    assertThat(tally.client().counter("many")[0]).isZero();
    assertThat(tally.client().counter("big")[0]).isZero();
  }

  @Test
  void aCounterIdOverTheLimitIsA400() {
    String longest = "c".repeat(20);
    assertThat(tally.client().post("/v1/counters/" + longest + "/increments", "{}").status()).isEqualTo(202);
    TallyClient.Response tooLong = tally.client().post("/v1/counters/" + longest + "x/increments", "{}");
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.body().get("error").asText()).contains("at most 20").contains("--max-id-length");
    TallyClient.Response inBatch = tally.client().post("/v1/events", "{\"counter\":\"" + longest + "x\"}\n{\"counter\":\"ok\"}");
    assertThat(inBatch.body().get("accepted").intValue()).isEqualTo(1);
    assertThat(inBatch.body().get("errors").get(0).get("message").asText()).contains("--max-id-length");
  }

  @Test
  void headersOverTheLimitAreA431() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + tally.node().httpPort() + "/v1/counters/h"))
        .header("X-Padding", "p".repeat(3_000)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(431);
    assertThat(tally.client().get("/v1/counters/h").status()).isEqualTo(200);
  }

  @Test
  void aUnionOverTheLimitIsA400() {
    assertThat(tally.client().post("/v1/uniques/union", "{\"counters\":[\"a\",\"b\",\"c\"]}").status()).isEqualTo(200);
    TallyClient.Response tooMany = tally.client().post("/v1/uniques/union", "{\"counters\":[\"a\",\"b\",\"c\",\"d\"]}");
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(tooMany.body().get("error").asText()).contains("1 to 3 counters");
  }

  private static String ndjson(String counter, int events, String item) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < events; i++) {
      body.append("{\"counter\":\"").append(counter).append('"');
      if (!item.isEmpty()) {
        body.append(",\"item\":\"").append(item).append(i).append('"');
      }
      body.append("}\n");
    }
    return body.toString();
  }
}
