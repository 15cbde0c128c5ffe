package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.IncrementEvent;
import dev.tally.topology.TallyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once across {@code kill -9} (issue 11): a broker in its own process, one {@code tally serve}
 * on the defaults (exactly-once, commit interval 100 ms) under steady load from a producer in this
 * test, killed with SIGKILL five times at random moments and started again on its data directory.
 * Under steady load its write-back buffers hold the counts of every event since the last commit at
 * any moment but the instant just after one, so each kill drops buffered, uncommitted counts, and the
 * restart must count those events again from the committed offsets, exactly once. A tenth of the sends
 * are retries of earlier events with the same {@code eventId} (issue 14, item 7), which must not count
 * again, across the kills too. Afterwards every counter's total, trailing hour and unique count equal
 * what the broker acknowledged of the first tries.
 */
class CrashIT {

  private static final Logger log = LoggerFactory.getLogger(CrashIT.class);
  private static final int COUNTERS = 300;
  private static final int ITEMS_PER_COUNTER = 7;
  private static final int KILLS = 5;
  private static final int RETRY_DISTANCE = 1_000;

  @TempDir
  Path dir;

  @Test
  void countsEqualWhatWasAcknowledgedAcrossFiveKills() throws Exception {
    int kafkaPort = Ports.free();
    String bootstrap = "localhost:" + kafkaPort;
    try (TallyProcess broker = TallyProcess.start(Path.of("target", "crash", "broker.log"), "broker",
        "--port", Integer.toString(kafkaPort), "--data-dir", dir.resolve("broker").toString())) {
      awaitBroker(bootstrap);
      int port = Ports.free();
      TallyProcess serve = TallyProcess.start(Path.of("target", "crash", "serve.log"), "serve",
          "--replication-factor", "1", "--bootstrap-servers", bootstrap, "--port", Integer.toString(port),
          "--internal-port", Integer.toString(Ports.free()),
          "--data-dir", dir.resolve("node").toString(), "--application-id", "crash-" + UUID.randomUUID());
      try (serve) {
        new TallyClient(port).awaitReady();
        AtomicLongArray acknowledged = new AtomicLongArray(COUNTERS);
        AtomicLong events = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> steadyLoad(bootstrap, acknowledged, events, failed, loading), "crash-load");
        load.start();

        Random random = new Random(20261129L);
        List<Long> acknowledgedAtKill = new ArrayList<>();
        for (int kill = 0; kill < KILLS; kill++) {
          Thread.sleep(1_000 + random.nextInt(3_000));
          acknowledgedAtKill.add(events.get());
          serve.kill();
          serve.start();
          new TallyClient(port).awaitReady();
        }
        Thread.sleep(2_000);
        loading.set(false);
        load.join();
        log.info("{} kills, with {} events acknowledged at each; {} in all", KILLS, acknowledgedAtKill, events.get());
        assertThat(failed.get()).as("sends the broker refused").isZero();
        assertThat(acknowledgedAtKill).as("load was running at every kill").doesNotContain(0L).doesNotHaveDuplicates()
            .isSorted();

        TallyClient client = new TallyClient(port);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
          for (int i = 0; i < COUNTERS; i++) {
            assertThat(client.counter("k:" + i)[0]).as("k:%d", i).isEqualTo(acknowledged.get(i));
          }
        });
        for (int i = 0; i < COUNTERS; i++) {
          assertThat(client.get("/v1/counters/k:" + i + "/last?window=PT1H").body().get("count").longValue())
              .as("k:%d in the last hour", i).isEqualTo(acknowledged.get(i));
          assertThat(client.get("/v1/counters/k:" + i + "/uniques").body().get("estimate").doubleValue())
              .as("k:%d uniques", i).isEqualTo(ITEMS_PER_COUNTER);
        }
      }
    }
  }

  /**
   * About 2,000 events a second over the counters, each with an item and an id, until {@code loading}
   * is false; every tenth send is a retry of the event sent {@link #RETRY_DISTANCE} events earlier,
   * whose first try a kill may have left counted and committed, or not.
   */
  private static void steadyLoad(String bootstrap, AtomicLongArray acknowledged, AtomicLong events,
      AtomicLong failed, AtomicBoolean loading) {
    IncrementEvent[] recent = new IncrementEvent[RETRY_DISTANCE];
    try (TallyProducer producer = new TallyProducer(bootstrap, TallyConfig.INCREMENTS_TOPIC)) {
      for (long n = 0; loading.get(); n++) {
        int slot = (int) (n % RETRY_DISTANCE);
        if (n % 10 == 9 && recent[slot] != null) {
          producer.send(recent[slot]).whenComplete((metadata, error) -> {
            if (error != null) {
              failed.incrementAndGet();
            }
          });
        }
        int counter = (int) (n % COUNTERS);
        long delta = n % 3 == 0 ? -1 : 2;
        IncrementEvent event = IncrementEvent.newBuilder().setCounter("k:" + counter).setDelta(delta)
            .setItem("u" + (n / COUNTERS) % ITEMS_PER_COUNTER).setEventTime(Instant.now()).setEventId("e" + n)
            .build();
        recent[slot] = event;
        producer.send(event).whenComplete((metadata, error) -> {
          if (error == null) {
            acknowledged.addAndGet(counter, delta);
            events.incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
        });
        if (n % 100 == 99) {
          Thread.sleep(50);
        }
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitBroker(String bootstrap) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> admin.describeCluster().nodes().get().size() == 1);
    }
  }
}
