package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three instances of one application started together on one broker, on the defaults a user gets
 * (two stream threads, one standby, exactly-once), 2,000 counters written in waves, each event with an
 * item, while one instance is killed with SIGKILL (holding buffered, uncommitted counts) and started
 * again on its data directory. Five rounds, each on fresh state. Each round, within 30 s of the last
 * write, every instance reads every counter's total exactly; then a sample's trailing hour and unique
 * count are exact too, and no task looped through task corruption.
 */
class SeveralInstancesSoakIT {

  private static final Logger log = LoggerFactory.getLogger(SeveralInstancesSoakIT.class);
  private static final int ROUNDS = 5;
  private static final int INSTANCES = 3;
  private static final int COUNTERS = 2_000;
  private static final int WAVES = 6;
  private static final Duration EXACT_WITHIN = Duration.ofSeconds(30);
  /** Log lines a corruption leaves; a loop leaves them by the hundred. */
  private static final String CORRUPTION = "TaskCorruptedException";
  private static final List<String> EXACT = List.of("instance 0: exact", "instance 1: exact", "instance 2: exact");

  private static ExecutorService pool;

  @TempDir
  Path dir;

  @BeforeAll
  static void startPool() {
    pool = Executors.newFixedThreadPool(4);
  }

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  @RepeatedTest(ROUNDS)
  void everyInstanceReadsEveryCounterExactlyAfterAKillAndRestart(RepetitionInfo repetition) throws Exception {
    int round = repetition.getCurrentRepetition();
    String applicationId = "soak-" + round + "-" + UUID.randomUUID();
    List<TallyProcess> nodes = new ArrayList<>();
    List<TallyClient> clients = new ArrayList<>();
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 6)) {
      for (int i = 0; i < INSTANCES; i++) {
        int port = Ports.free();
        nodes.add(TallyProcess.start(Path.of("target", "soak", "round" + round + "-node" + i + ".log"),
            "serve", "--replication-factor", "1", "--bootstrap-servers", broker.bootstrapServers(), "--port", Integer.toString(port),
            "--internal-port", Integer.toString(Ports.free()),
            "--data-dir", dir.resolve("node" + i).toString(), "--application-id", applicationId));
        clients.add(new TallyClient(port));
      }
      clients.forEach(TallyClient::awaitReady);

      int victim = 1 + round % (INSTANCES - 1);
      int killAfterWave = (round - 1) % (WAVES - 2);
      long[] expected = new long[COUNTERS];
      for (int wave = 0; wave < WAVES; wave++) {
        if (wave == WAVES - 1) {
          // Writes went on while the victim restarted; the last one waits until it is back, so that
          // "exact within 30 s of the last write" measures Tally, not a JVM start on two busy cores.
          clients.get(victim).awaitReady();
        }
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < COUNTERS; i++) {
          long delta = (i + wave) % 7 - 2;
          expected[i] += delta;
          batch.append(String.format("{\"counter\":\"s:%d\",\"delta\":%d,\"item\":\"%s\"}%n", i, delta,
              item(i, wave)));
        }
        // Writes go to an instance that is never killed: each answer means Kafka holds the wave.
        assertThat(clients.get(0).post("/v1/events", batch.toString()).status()).isEqualTo(202);
        if (wave == killAfterWave) {
          // The victim is counting the wave just written: it dies holding uncommitted work.
          nodes.get(victim).kill();
          nodes.get(victim).start();
          // A new client, as a real one would open: the old one's pooled connections died with the process.
          clients.set(victim, new TallyClient(clients.get(victim).port()));
        }
      }
      long lastWrite = System.nanoTime();

      // Polled on every 25th counter, so that the polling does not starve the instance restarting on
      // these two cores; then every counter once.
      await().atMost(EXACT_WITHIN).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
          assertThat(mismatches(clients, expected, 25)).isEqualTo(EXACT));
      long exactAfterMillis = (System.nanoTime() - lastWrite) / 1_000_000;
      assertThat(mismatches(clients, expected, 1)).isEqualTo(EXACT);
      // The windows and the sketches went through the same buffers and the same kill: every event is in
      // the trailing hour, and a handful of items is counted exactly by the sketch.
      for (int i = 0; i < COUNTERS; i += 25) {
        TallyClient client = clients.get(i % INSTANCES);
        assertThat(client.get("/v1/counters/s:" + i + "/last?window=PT1H").body().get("count").longValue())
            .as("s:%d in the last hour", i).isEqualTo(expected[i]);
        long distinct = distinctItems(i);
        assertThat(client.get("/v1/counters/s:" + i + "/uniques").body().get("estimate").doubleValue())
            .as("s:%d uniques", i).isEqualTo(distinct);
      }
      long corruptions = nodes.stream().mapToLong(node -> node.linesContaining(CORRUPTION)).sum();
      log.info("round {}: instance {} killed after wave {}; every counter exact on every instance {} ms after "
              + "the last write; {} log lines of task corruption", round, victim, killAfterWave,
          exactAfterMillis, corruptions);
      assertThat(corruptions).as("task corruption in the logs of round %d", round).isZero();
      for (TallyClient client : clients) {
        assertThat(client.get("/health/ready").status()).isEqualTo(200);
      }
    } finally {
      for (TallyProcess node : nodes) {
        node.close();
      }
    }
  }

  private static long distinctItems(int counter) {
    return IntStream.range(0, WAVES).mapToObj(wave -> item(counter, wave)).distinct().count();
  }

  /** The item of counter {@code i} in {@code wave}: one to four distinct items a counter. */
  private static String item(int i, int wave) {
    return "u" + (i + wave * (i % 3)) % 4;
  }

  /**
   * Every {@code step}-th counter read from every instance; what each answered that was not its exact
   * total, counted by kind.
   */
  private static List<String> mismatches(List<TallyClient> clients, long[] expected, int step) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int instance = 0; instance < clients.size(); instance++) {
      TallyClient client = clients.get(instance);
      List<Future<String>> checks = new ArrayList<>();
      for (int i = 0; i < COUNTERS; i += step) {
        int counter = i;
        checks.add(pool.submit(() -> {
          try {
            TallyClient.Response response = client.get("/v1/counters/s:" + counter);
            if (response.status() != 200) {
              return "status " + response.status();
            }
            return response.body().get("total").longValue() == expected[counter] ? null : "a wrong total";
          } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return "no answer (" + cause.getClass().getSimpleName() + ")";
          }
        }));
      }
      Map<String, Integer> wrong = new TreeMap<>();
      for (Future<String> check : checks) {
        String answer = check.get();
        if (answer != null) {
          wrong.merge(answer, 1, Integer::sum);
        }
      }
      lines.add("instance " + instance + ": " + (wrong.isEmpty() ? "exact" : wrong));
    }
    return lines;
  }
}
