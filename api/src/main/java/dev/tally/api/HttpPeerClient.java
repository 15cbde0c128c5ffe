package dev.tally.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tally.query.CounterRate;
import dev.tally.query.Fetched;
import dev.tally.query.InstanceState;
import dev.tally.query.PeerClient;
import dev.tally.query.StateUnavailableException;
import dev.tally.query.StoreRead;
import dev.tally.query.StoreSerdes;
import dev.tally.topology.TallyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.HostInfo;

/** {@link PeerClient} over the peers' internal HTTP endpoints, with connect and request timeouts. */
public final class HttpPeerClient implements PeerClient {

  /** Marks a request as forwarded: the receiver answers from its own copies and never forwards again. */
  public static final String FORWARDED_HEADER = "X-Tally-Forwarded";

  private final HttpClient http;
  private final Duration timeout;
  private final FetchCodec codec;
  private final PeerSecret secret;
  private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());

  public HttpPeerClient(TallyConfig config, Duration timeout, PeerSecret secret) {
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.secret = secret;
    this.timeout = timeout;
    this.codec = new FetchCodec(new StoreSerdes(config));
  }

  @Override
  public CompletableFuture<List<Fetched>> fetch(HostInfo peer, List<StoreRead> reads, boolean allowStandby,
      Position after) {
    HttpRequest request = request(peer, "/internal/v1/fetch")
        .POST(HttpRequest.BodyPublishers.ofString(codec.request(reads, allowStandby, after)))
        .header("Content-Type", "application/json")
        .build();
    return send(request).thenApply(body -> codec.results(reads, body));
  }

  @Override
  public CompletableFuture<List<CounterRate>> top(HostInfo peer, int limit) {
    return send(request(peer, "/internal/v1/top?limit=" + limit).GET().build())
        .thenApply(body -> json.convertValue(body, new TypeReference<List<CounterRate>>() {}));
  }

  @Override
  public CompletableFuture<InstanceState> state(HostInfo peer) {
    return http.sendAsync(request(peer, "/internal/v1/state").GET().build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(response -> {
          try {
            return json.readValue(response.body(), InstanceState.class);
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        });
  }

  private HttpRequest.Builder request(HostInfo peer, String path) {
    return secret.sign(HttpRequest.newBuilder(URI.create("http://" + peer.host() + ":" + peer.port() + path))
        .timeout(timeout)
        .header(FORWARDED_HEADER, "true"));
  }

  private CompletableFuture<JsonNode> send(HttpRequest request) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
      JsonNode body;
      try {
        body = json.readTree(response.body());
      } catch (Exception e) {
        throw new CompletionException(new IllegalStateException("unreadable answer from " + request.uri(), e));
      }
      if (response.statusCode() == 503) {
        throw new CompletionException(new StateUnavailableException(request.uri().getAuthority() + ": "
            + body.path("error").asText()));
      }
      if (response.statusCode() != 200) {
        throw new CompletionException(new IllegalStateException(request.uri() + " answered "
            + response.statusCode() + ": " + body));
      }
      return body;
    });
  }
}
