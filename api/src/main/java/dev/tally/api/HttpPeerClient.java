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
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.HostInfo;

/**
 * {@link PeerClient} over the peers' internal HTTP endpoints: HTTP/1.1 on kept-alive connections, with
 * connect and read timeouts, answered on the calling thread.
 *
 * <p>The JDK's {@code HttpURLConnection}, not its newer {@code HttpClient}: that one hands every answer
 * from its selector thread to a worker, and its {@code sendAsync} on to {@code CompletableFuture}'s
 * default executor, which on a machine of one or two CPUs (a small pod) starts a new thread per task.
 * Through those hand-offs a read routed to another instance took milliseconds; a blocking call on the
 * reading thread takes a round trip (docs/benchmarks.md).
 */
public final class HttpPeerClient implements PeerClient {

  /** Marks a request as forwarded: the receiver answers from its own copies and never forwards again. */
  public static final String FORWARDED_HEADER = "X-Tally-Forwarded";

  static {
    // Idle connections the JDK keeps per peer (5 by default): a reading thread that finds none opens
    // one, and one that finds the cache full closes its own, so more concurrent reads than that of one
    // peer would each cost a connection. Read on the first use, so this must come before it.
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "64");
    }
  }

  private final int timeoutMillis;
  private final FetchCodec codec;
  private final PeerSecret secret;
  private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());

  public HttpPeerClient(TallyConfig config, Duration timeout, PeerSecret secret) {
    this.secret = secret;
    this.timeoutMillis = Math.toIntExact(timeout.toMillis());
    this.codec = new FetchCodec(new StoreSerdes(config));
  }

  @Override
  public List<Fetched> fetch(HostInfo peer, List<StoreRead> reads, boolean allowStandby, Position after,
      Duration within) {
    // At least a millisecond: a timeout of 0 is none at all.
    int timeout = (int) Math.max(1, Math.min(timeoutMillis, within.toMillis()));
    return codec.results(reads, call(peer, "/internal/v1/fetch", codec.request(reads, allowStandby, after), timeout));
  }

  @Override
  public List<CounterRate> top(HostInfo peer, int limit) {
    return json.convertValue(call(peer, "/internal/v1/top?limit=" + limit, null, timeoutMillis), new TypeReference<>() {});
  }

  @Override
  public InstanceState state(HostInfo peer) {
    return json.convertValue(call(peer, "/internal/v1/state", null, timeoutMillis), InstanceState.class);
  }

  /**
   * The JSON answer of {@code path} at {@code peer}: a POST of {@code body}, or a GET when it is null,
   * with connect and read timeouts of {@code timeout} milliseconds each.
   *
   * @throws StateUnavailableException if the peer answered 503
   */
  private JsonNode call(HostInfo peer, String path, String body, int timeout) {
    String url = "http://" + peer.host() + ":" + peer.port() + path;
    try {
      HttpURLConnection request = (HttpURLConnection) new URL(url).openConnection(Proxy.NO_PROXY);
      request.setConnectTimeout(timeout);
      request.setReadTimeout(timeout);
      request.setRequestProperty(FORWARDED_HEADER, "true");
      secret.sign(request);
      if (body != null) {
        // Not streamed: the JDK then writes headers and body in one write, and the peer does not wait
        // for a second packet (1.6 ms a request on loopback, streamed).
        request.setRequestMethod("POST");
        request.setRequestProperty("Content-Type", "application/json");
        request.setDoOutput(true);
        try (OutputStream out = request.getOutputStream()) {
          out.write(body.getBytes(StandardCharsets.UTF_8));
        }
      }
      int status = request.getResponseCode();
      byte[] answer;
      // Read to the end and closed, so that the connection goes back to the keep-alive cache.
      try (InputStream in = status >= 400 ? request.getErrorStream() : request.getInputStream()) {
        answer = in == null ? new byte[0] : in.readAllBytes();
      }
      JsonNode node = readable(url, answer);
      if (status == 503) {
        throw new StateUnavailableException(peer.host() + ":" + peer.port() + ": " + node.path("error").asText());
      }
      if (status != 200) {
        throw new IllegalStateException(url + " answered " + status + ": " + node);
      }
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("could not reach " + url + ": " + e.getMessage(), e);
    }
  }

  private JsonNode readable(String url, byte[] answer) {
    try {
      return json.readTree(answer);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable answer from " + url, e);
    }
  }
}
