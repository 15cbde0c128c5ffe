package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.PeerSecret;
import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14, items 1 and 4: with a tokens file, every public route but health and metrics needs a bearer
 * token with its role: 401 without one or with an unknown one, 403 with the wrong role. And a counter
 * over its events-per-second limit at ingest is answered 429.
 */
class AuthIT {

  private static final int RATE_LIMIT = 5;
  private static final String PEER_SECRET = "s3cret-shared-by-peers";

  private static final HttpClient http = HttpClient.newHttpClient();

  @RegisterExtension
  static final RunningNode tally = new RunningNode(AuthIT::settings);

  /** Tokens of each role and a peer secret, in files of {@code dataDir}. */
  private static NodeSettings settings(Path dataDir) {
    try {
      Path tokens = Files.writeString(dataDir.resolve("tokens"), """
          # role per token
          r-token read
          w-token write
          a-token admin,read
          """);
      return new NodeSettings(Optional.empty(), 0, "localhost", 0, 0, "127.0.0.1", Optional.of(tokens),
          dataDir.resolve("node"), 3, 1, "auth-it-" + UUID.randomUUID(), "exactly_once_v2", 1, TallyConfig.defaults(), 0,
          Map.of(), RATE_LIMIT, Optional.of(Files.writeString(dataDir.resolve("peer-secret"), PEER_SECRET + "\n")),
          Map.of(), Limits.DEFAULTS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Issue 14, item 2: the internal endpoints answer only a caller with the peers' secret. */
  @Test
  void internalEndpointsNeedThePeerSecret() throws Exception {
    for (String secret : new String[] {null, "s3cret-shared-by-peerz", "a-token"}) {
      HttpRequest.Builder request = HttpRequest.newBuilder(
          URI.create("http://localhost:" + tally.node().internalPort() + "/internal/v1/state"));
      if (secret != null) {
        request.header(PeerSecret.HEADER, secret).header("Authorization", "Bearer " + secret);
      }
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as("secret %s", secret).isEqualTo(401);
      assertThat(response.body()).contains(PeerSecret.HEADER).doesNotContain(PEER_SECRET);
    }
    HttpResponse<String> peer = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + tally.node().internalPort() + "/internal/v1/state"))
        .header(PeerSecret.HEADER, PEER_SECRET).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(peer.statusCode()).isEqualTo(200);
    assertThat(peer.body()).contains("RUNNING");
  }

  @Test
  void eachRouteNeedsItsRole() throws Exception {
    HttpResponse<String> anonymous = send("POST", "/v1/counters/a/increments", "{}", null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(send("POST", "/v1/counters/a/increments", "{}", "no-such-token").statusCode()).isEqualTo(401);
    assertThat(send("POST", "/v1/counters/a/increments", "{}", "r-token").statusCode()).isEqualTo(403);
    assertThat(send("POST", "/v1/counters/a/increments", "{\"delta\":2}", "w-token").statusCode()).isEqualTo(202);
    assertThat(send("POST", "/v1/events", "{\"counter\":\"a\"}", "w-token").statusCode()).isEqualTo(202);

    assertThat(send("GET", "/v1/counters/a", null, null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/v1/counters/a", null, "w-token").statusCode()).isEqualTo(403);
    assertThat(send("GET", "/v1/counters/a", null, "r-token").statusCode()).isEqualTo(200);
    assertThat(send("GET", "/v1/top", null, "a-token").statusCode()).isEqualTo(200);

    assertThat(send("POST", "/v1/counters/p/shards", "{\"shards\":4}", "w-token").statusCode()).isEqualTo(403);
    assertThat(send("POST", "/v1/counters/p/shards", "{\"shards\":4}", "a-token").statusCode()).isEqualTo(202);

    assertThat(send("GET", "/health/live", null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/health/ready", null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/metrics", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aCounterOverItsRateLimitIsAnswered429() throws Exception {
    HttpResponse<String> limited = null;
    for (int i = 0; i < 500 && limited == null; i++) {
      HttpResponse<String> response = send("POST", "/v1/counters/abused/increments", "{}", "w-token");
      if (response.statusCode() == 429) {
        limited = response;
      } else {
        assertThat(response.statusCode()).isEqualTo(202);
      }
    }
    assertThat(limited).as("some second held more than " + RATE_LIMIT + " increments").isNotNull();
    assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(limited.body()).contains("limit of " + RATE_LIMIT);

    // In a batch, what is over the limit is rejected and listed; the rest counts.
    String batch = "{\"counter\":\"abused-batch\"}\n".repeat(100);
    HttpResponse<String> partly = send("POST", "/v1/events", batch, "w-token");
    assertThat(partly.statusCode()).isEqualTo(202);
    assertThat(partly.body()).contains("over its limit of " + RATE_LIMIT);

    String metrics = send("GET", "/metrics", null, null).body();
    assertThat(metrics.lines().filter(line -> line.startsWith("tally_ingest_rate_limited_total{counter=\"abused\"}")))
        .hasSize(1);
  }

  private static HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tally.node().httpPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
