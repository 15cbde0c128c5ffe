package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three instances of one application on one real broker: two in this JVM, the third a separate
 * {@code tally serve} process so that it can be killed hard. Every instance answers for every counter.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiInstanceIT {

  private static final Logger log = LoggerFactory.getLogger(MultiInstanceIT.class);
  private static final int COUNTERS = 10_000;
  private static final String SESSION_TIMEOUT = "10000";

  @TempDir
  static Path dir;
  private static EmbeddedBroker broker;
  private static final List<TallyNode> nodes = new ArrayList<>();
  private static Process third;
  private static final List<TallyClient> clients = new ArrayList<>();
  private static ExecutorService pool;

  @BeforeAll
  static void start() throws IOException {
    broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 6);
    String applicationId = "multi-it-" + UUID.randomUUID();
    Map<String, String> overrides = Map.of(
        StreamsConfig.consumerPrefix("session.timeout.ms"), SESSION_TIMEOUT);
    for (int i = 0; i < 2; i++) {
      TallyNode node = TallyNode.start(TestNodes.joining(broker.bootstrapServers(), dir.resolve("node" + i),
          applicationId, 6, overrides));
      nodes.add(node);
      clients.add(new TallyClient(node.httpPort()));
    }
    int thirdPort = Ports.free();
    String java = ProcessHandle.current().info().command().orElse("java");
    third = new ProcessBuilder(java, "-Xmx512m", "-jar", Path.of("target", "tally.jar").toString(), "serve",
        "--replication-factor", "1", "--bootstrap-servers", broker.bootstrapServers(), "--port", Integer.toString(thirdPort),
        "--internal-port", Integer.toString(Ports.free()),
        "--peer-secret-file", TestNodes.peerSecretFile(dir.resolve("node2"), applicationId).toString(),
        "--data-dir", dir.resolve("node2").toString(), "--application-id", applicationId, "--threads", "1",
        "--streams-config", StreamsConfig.consumerPrefix("session.timeout.ms") + "=" + SESSION_TIMEOUT)
        .redirectErrorStream(true)
        .redirectOutput(Files.createDirectories(Path.of("target")).resolve("multi-instance-third.log").toFile())
        .start();
    clients.add(new TallyClient(thirdPort));
    pool = Executors.newFixedThreadPool(8);
    // The third process may not listen yet: a refused connection is "not ready", not a failure.
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
      for (TallyClient client : clients) {
        assertThat(client.get("/health/ready").status()).isEqualTo(200);
      }
      assertThat(clients.get(0).get("/v1/instances").body().size()).isEqualTo(3);
    });
  }

  @AfterAll
  static void stop() {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (third != null) {
      third.destroyForcibly();
    }
    nodes.forEach(TallyNode::close);
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  @Order(1)
  void everyInstanceReadsEveryCounterExactly() throws Exception {
    StringBuilder batch = new StringBuilder();
    for (int i = 0; i < COUNTERS; i++) {
      batch.append(String.format("{\"counter\":\"m:%d\",\"delta\":%d,\"eventId\":\"m%d\"}%n", i, expected(i), i));
      if ((i + 1) % 5_000 == 0) {
        assertThat(clients.get(i % 3).post("/v1/events", batch.toString()).status()).isEqualTo(202);
        batch.setLength(0);
      }
    }
    for (TallyClient client : clients) {
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(mismatches(client, false)).isZero());
    }
    JsonNode instances = clients.get(0).get("/v1/instances").body();
    assertThat(instances).extracting(node -> node.get("state").asText()).containsOnly("RUNNING");
    // Every instance's input lag, its own or asked of it: all counted, so none is behind by much.
    assertThat(instances).hasSize(3).extracting(node -> node.get("lag").asLong())
        .allSatisfy(lag -> assertThat(lag).isBetween(0L, 1_000L));
  }

  @Test
  @Order(2)
  void readYourWritesIsNeverStale() {
    long[] totals = new long[10];
    for (int i = 0; i < 1_000; i++) {
      int counter = i % 10;
      TallyClient.Response written = clients.get(i % 3).post("/v1/counters/ryw:" + counter + "/increments", "{}");
      assertThat(written.status()).isEqualTo(202);
      totals[counter]++;
      String token = written.body().get("position").asText();
      TallyClient.Response read = clients.get((i + 1) % 3).get("/v1/counters/ryw:" + counter + "?after=" + token);
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.body().get("total").longValue()).as("read %d", i).isEqualTo(totals[counter]);
    }

    // Scatter-gather: the ten busiest counters of the last minute are the ten ryw counters, whichever
    // instances hold them, and every instance gives the same answer.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode top = clients.get(0).get("/v1/top?window=PT1M&limit=10").body().get("counters");
      assertThat(top).hasSize(10);
      assertThat(top).allSatisfy(entry -> assertThat(entry.get("counter").asText()).startsWith("ryw:"));
      for (TallyClient client : clients) {
        assertThat(client.get("/v1/top?limit=10").body().get("counters")).isEqualTo(top);
      }
    });
  }

  @Test
  @Order(3)
  void afterAnInstanceDiesReadsAreExactOrRetriableAndRecover() throws Exception {
    third.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    List<TallyClient> survivors = clients.subList(0, 2);

    Random random = new Random(3);
    int exact = 0;
    int unavailable = 0;
    int eventualExact = 0;
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < end) {
      int counter = random.nextInt(COUNTERS);
      boolean strong = random.nextBoolean();
      TallyClient.Response response = survivors.get(random.nextInt(2))
          .get("/v1/counters/m:" + counter + (strong ? "?consistency=strong" : ""));
      if (response.status() == 503) {
        assertThat(response.retryAfter()).as("a 503 says when to retry").isEqualTo("1");
        unavailable++;
      } else {
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body().get("total").longValue()).as("m:" + counter).isEqualTo(expected(counter));
        exact++;
        eventualExact += strong ? 0 : 1;
      }
    }
    log.info("30 s after an instance was killed: {} exact answers ({} eventual), {} answers 503", exact,
        eventualExact, unavailable);
    assertThat(exact).isPositive();

    for (TallyClient survivor : survivors) {
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(mismatches(survivor, true)).isZero());
    }
  }

  private static long expected(int counter) {
    return counter % 97 + 1;
  }

  /** How many of the counters {@code client} does not read exactly (a 503 counts as a mismatch). */
  private static long mismatches(TallyClient client, boolean strong) throws Exception {
    List<Future<Boolean>> checks = new ArrayList<>();
    for (int i = 0; i < COUNTERS; i++) {
      int counter = i;
      checks.add(pool.submit(() -> {
        TallyClient.Response response = client.get("/v1/counters/m:" + counter + (strong ? "?consistency=strong" : ""));
        return response.status() == 200 && response.body().get("total").longValue() == expected(counter);
      }));
    }
    long wrong = 0;
    for (Future<Boolean> check : checks) {
      wrong += check.get() ? 0 : 1;
    }
    return wrong;
  }
}
