package dev.tally.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.query.Fetched;
import dev.tally.query.InstanceState;
import dev.tally.query.StateUnavailableException;
import dev.tally.query.StoreRead;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TallyConfig;
import io.javalin.Javalin;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 (a read routed to another instance): the peer client asks on the calling thread, over one
 * kept-alive connection, against a real Jetty peer.
 */
class HttpPeerClientTest {

  private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
  private final AtomicReference<String> fetchBody = new AtomicReference<>();
  private volatile Duration fetchDelay = Duration.ZERO;
  private Javalin peer;
  private HostInfo host;

  @BeforeEach
  void startPeer() {
    peer = Javalin.create(config -> {
      config.startup.showJavalinBanner = false;
      config.routes.before(ctx -> clientPorts.add(ctx.req().getRemotePort()));
      config.routes.get("/internal/v1/state", ctx -> ctx.json(new InstanceState("RUNNING", 7)));
      config.routes.get("/internal/v1/top", ctx -> ctx.status(503).json(Map.of("error", "rebalancing")));
      config.routes.post("/internal/v1/fetch", ctx -> {
        fetchBody.set(ctx.body());
        Thread.sleep(fetchDelay.toMillis());
        ctx.result("{\"results\":[{\"standby\":true,\"lag\":3,\"value\":null}]}");
      });
    }).start("127.0.0.1", 0);
    host = new HostInfo("127.0.0.1", peer.port());
  }

  @AfterEach
  void stopPeer() {
    peer.stop();
  }

  /**
   * The JDK's asynchronous client, used before, started a thread per call on a machine of two CPUs
   * (this project's CI), where CompletableFuture's default executor is a thread per task; this test
   * failed with it there (300 calls, 300 threads and more).
   */
  @Test
  void callsReuseOneConnectionAndStartNoThreads() {
    HttpPeerClient client = new HttpPeerClient(TallyConfig.defaults(), Duration.ofSeconds(2), PeerSecret.none());
    client.state(host);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long startedBefore = threads.getTotalStartedThreadCount();
    for (int i = 0; i < 300; i++) {
      assertThat(client.state(host)).isEqualTo(new InstanceState("RUNNING", 7));
    }
    assertThat(threads.getTotalStartedThreadCount() - startedBefore).isLessThan(30);
    assertThat(clientPorts).hasSize(1);
  }

  @Test
  void aFetchPostsItsReadsAndDecodesTheAnswer() {
    HttpPeerClient client = new HttpPeerClient(TallyConfig.defaults(), Duration.ofSeconds(2), PeerSecret.none());
    List<Fetched> fetched = client.fetch(host, List.of(StoreRead.value(StoreNames.COUNTER_TOTALS, "c")), true, null,
        Duration.ofSeconds(2));
    assertThat(fetched).containsExactly(new Fetched(null, null, true, 3));
    assertThat(fetchBody.get()).contains("\"allowStandby\":true").contains("\"key\":\"c\"");
  }

  /**
   * The router asks one peer on the reading thread: with only the client's own timeout, a read whose
   * budget was nearly spent waited a whole timeout more before it could answer 503.
   */
  @Test
  void aFetchGivesUpWhenWhatIsLeftOfTheReadBudgetRunsOut() {
    HttpPeerClient client = new HttpPeerClient(TallyConfig.defaults(), Duration.ofSeconds(5), PeerSecret.none());
    fetchDelay = Duration.ofSeconds(3);
    long start = System.nanoTime();
    assertThatThrownBy(() -> client.fetch(host, List.of(StoreRead.value(StoreNames.COUNTER_TOTALS, "c")), true, null,
        Duration.ofMillis(200)))
        .isInstanceOf(UncheckedIOException.class)
        .hasRootCauseInstanceOf(SocketTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aPeerThatCannotAnswerIsStateUnavailableWithItsReason() {
    HttpPeerClient client = new HttpPeerClient(TallyConfig.defaults(), Duration.ofSeconds(2), PeerSecret.none());
    assertThatThrownBy(() -> client.top(host, 10))
        .isInstanceOf(StateUnavailableException.class)
        .hasMessageContaining("rebalancing");
    // The error answer was read to its end: the connection is used again.
    client.state(host);
    assertThat(clientPorts).hasSize(1);
  }
}
