package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.IncrementEvent;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.TallyConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 15, items 3 and 5, the whole procedure on a real broker: count under an old application id,
 * replay into a new one, move to it, drop the old one; a replay from a time; a replay refused for a
 * time the topic no longer keeps; a reset; a replay after a fix.
 */
class ReplayIT {

  @TempDir
  Path dir;

  @Test
  void replayMoveDropAndReset() throws Exception {
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 3)) {
      String bootstrap = broker.bootstrapServers();
      String old = "replay-old-" + UUID.randomUUID();
      Map<String, Long> expected = new HashMap<>();
      Instant between;
      try (TallyNode node = TallyNode.start(TestNodes.joining(bootstrap, dir.resolve("old"), old, 3, Map.of()))) {
        TallyClient client = new TallyClient(node.httpPort()).awaitReady();
        send(bootstrap, "a", 3_000, expected);
        between = Instant.now();
        Thread.sleep(50); // LogAppendTime: the next records are written after `between`
        send(bootstrap, "b", 2_000, expected);
        awaitCounts(client, expected);
      }

      String fresh = "replay-new-" + UUID.randomUUID();
      assertThat(run("replay", "--replication-factor", "1", "--application-id", fresh, "--bootstrap-servers", bootstrap,
          "--data-dir", dir.resolve("new").toString()).exit()).isZero();
      try (TallyNode node = TallyNode.start(TestNodes.joining(bootstrap, dir.resolve("new"), fresh, 3, Map.of()))) {
        awaitCounts(new TallyClient(node.httpPort()).awaitReady(), expected);
      }

      Run drop = run("replay", "drop", old, "--bootstrap-servers", bootstrap, "--data-dir", dir.resolve("old").toString());
      assertThat(drop.exit()).isZero();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        assertThat(admin.listTopics().names().get()).noneMatch(topic -> topic.startsWith(old))
            .anyMatch(topic -> topic.startsWith(fresh));
        assertThat(admin.listConsumerGroups().all().get()).noneMatch(group -> group.groupId().equals(old));
      }
      assertThat(dir.resolve("old").resolve("streams").resolve(old)).doesNotExist();

      // From a time: only what was written after it.
      String since = "replay-since-" + UUID.randomUUID();
      assertThat(run("replay", "--replication-factor", "1", "--application-id", since, "--from", between.toString(), "--bootstrap-servers",
          bootstrap, "--data-dir", dir.resolve("since").toString()).exit()).isZero();
      Map<String, Long> afterwards = new HashMap<>(expected);
      afterwards.replaceAll((counter, total) -> counter.startsWith("a:") ? 0L : total);
      try (TallyNode node = TallyNode.start(TestNodes.joining(bootstrap, dir.resolve("since"), since, 3, Map.of()))) {
        awaitCounts(new TallyClient(node.httpPort()).awaitReady(), afterwards);
      }

      // Reset: the id's offsets, internal topics and local state are gone.
      Run reset = run("reset", "--application-id", since, "--bootstrap-servers", bootstrap, "--data-dir",
          dir.resolve("since").toString(), "--yes");
      assertThat(reset.exit()).isZero();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        assertThat(admin.listTopics().names().get()).noneMatch(topic -> topic.startsWith(since));
        // Records before `between` deleted, as retention would: a replay from before them is refused.
        Map<TopicPartition, RecordsToDelete> deletions = new HashMap<>();
        for (int p = 0; p < 3; p++) {
          deletions.put(new TopicPartition(TallyConfig.INCREMENTS_TOPIC, p), RecordsToDelete.beforeOffset(100));
        }
        admin.deleteRecords(deletions).all().get();
      }
      assertThat(dir.resolve("since").resolve("streams").resolve(since)).doesNotExist();
      Run refused = run("replay", "--replication-factor", "1", "--application-id", "replay-refused-" + UUID.randomUUID(), "--from",
          between.minus(Duration.ofHours(1)).toString(), "--bootstrap-servers", bootstrap);
      assertThat(refused.exit()).isEqualTo(2);
      assertThat(refused.err()).contains("is before what " + TallyConfig.INCREMENTS_TOPIC + " keeps");
    }
  }

  /**
   * Issue 15, a replay after a fix: a client with a clock 3 hours fast wrote events that the instances
   * sent to the dead-letter topic as invalid (more than {@code --max-future-skew} ahead). Replayed with
   * the fix (a skew of 6 hours), every event counts, and the counters the old id had right stay right.
   */
  @Test
  void replayAfterAFixCountsWhatWentToTheDeadLetterTopic() throws Exception {
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 3)) {
      String bootstrap = broker.bootstrapServers();
      String old = "fix-old-" + UUID.randomUUID();
      Map<String, Long> right = new HashMap<>();
      Map<String, Long> skewed = new HashMap<>();
      try (TallyNode node = TallyNode.start(TestNodes.joining(bootstrap, dir.resolve("old"), old, 3, Map.of()))) {
        TallyClient client = new TallyClient(node.httpPort()).awaitReady();
        send(bootstrap, "right", 1_000, Duration.ZERO, right);
        send(bootstrap, "skewed", 300, Duration.ofHours(3), skewed);
        awaitCounts(client, right);
        await().atMost(Duration.ofMinutes(1)).until(() -> invalidDeadLetters(bootstrap) == 300);
        skewed.keySet().forEach(counter -> assertThat(client.counter(counter)[0]).as(counter).isZero());
      }

      String fixed = "fix-new-" + UUID.randomUUID();
      assertThat(run("replay", "--replication-factor", "1", "--application-id", fixed, "--max-future-skew", "PT6H", "--bootstrap-servers",
          bootstrap, "--data-dir", dir.resolve("new").toString()).exit()).isZero();
      NodeSettings settings = TestNodes.withTopology(TestNodes.joining(bootstrap, dir.resolve("new"), fixed, 3,
          Map.of()), TallyConfig.defaults().withMaxFutureSkew(Duration.ofHours(6)));
      try (TallyNode node = TallyNode.start(settings)) {
        TallyClient client = new TallyClient(node.httpPort()).awaitReady();
        awaitCounts(client, right);
        awaitCounts(client, skewed);
      }
      assertThat(invalidDeadLetters(bootstrap)).as("the replay sends nothing to the dead-letter topic again")
          .isEqualTo(300);
    }
  }

  private static void send(String bootstrap, String prefix, int events, Map<String, Long> expected) throws Exception {
    send(bootstrap, prefix, events, Duration.ZERO, expected);
  }

  /** {@code events} events to 10 counters, with event times {@code clockSkew} ahead of now. */
  private static void send(String bootstrap, String prefix, int events, Duration clockSkew,
      Map<String, Long> expected) throws Exception {
    List<CompletableFuture<?>> sends = new ArrayList<>();
    try (TallyProducer producer = new TallyProducer(bootstrap, TallyConfig.INCREMENTS_TOPIC)) {
      for (int i = 0; i < events; i++) {
        String counter = prefix + ":" + (i % 10);
        long delta = 1 + i % 3;
        expected.merge(counter, delta, Long::sum);
        sends.add(producer.send(IncrementEvent.newBuilder().setCounter(counter).setDelta(delta)
            .setEventTime(Instant.now().plus(clockSkew)).build()));
      }
      producer.flush();
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get();
  }

  /** Dead letters with reason {@code invalid}, read committed. */
  private static long invalidDeadLetters(String bootstrap) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(TallyConfig.DLQ_TOPIC).stream()
          .map(p -> new TopicPartition(TallyConfig.DLQ_TOPIC, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long invalid = 0;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> letter : consumer.poll(Duration.ofMillis(200))) {
          Header reason = letter.headers().lastHeader(DeadLetters.REASON);
          if (reason != null && DeadLetters.INVALID.equals(new String(reason.value(), StandardCharsets.UTF_8))) {
            invalid++;
          }
        }
      }
      return invalid;
    }
  }

  private static void awaitCounts(TallyClient client, Map<String, Long> expected) {
    await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> expected.forEach((counter, total) ->
        assertThat(client.counter(counter)[0]).as(counter).isEqualTo(total)));
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
    try {
      int exit = new CommandLine(new TallyCommand()).execute(args);
      return new Run(exit, capturedOut.toString(StandardCharsets.UTF_8), capturedErr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
      out.print(capturedOut.toString(StandardCharsets.UTF_8));
      err.print(capturedErr.toString(StandardCharsets.UTF_8));
    }
  }
}
