package dev.tally.app;

import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tally replay --application-id NEW [--from TIME]}: builds state from the input topics under a
 * new application id, e.g. after a fix or a change of store layout, beside the running instances: it
 * counts {@code tally.increments} and {@code tally.backfill} from their beginning (or from the offsets
 * of TIME) into NEW's own stores and changelogs, with a progress line, and stops once caught up. Then a
 * rolling restart moves the instances to NEW (see the README), and {@code tally replay drop OLD} removes
 * what the old id left in Kafka.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, subcommands = ReplayCommand.Drop.class,
    description = "Count the input topics again under a new application id, until caught up.")
final class ReplayCommand implements Callable<Integer> {

  /** Input records left to count at which the replay is caught up: live traffic never lets it reach 0. */
  static final long CAUGHT_UP = 1_000;
  private static final Duration TICK = Duration.ofSeconds(1);
  /**
   * Nobody reads a replay while it runs: commit every second rather than every 100 ms, so the
   * write-back buffers fold more events into each store write and changelog record.
   */
  private static final Map<String, String> REPLAY_STREAMS = Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");

  // Not required by picocli: it would ask for it before `replay drop` too.
  @Option(names = "--application-id", description = "The new application id (required).")
  String applicationId;

  @Option(names = "--from", paramLabel = "TIME",
      description = "Count from the first records written at or after TIME (ISO-8601); default: the beginning.")
  Instant from;

  @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (security).")
  Path kafkaConfig;

  @Option(names = "--data-dir", defaultValue = "data", description = "Where NEW's state goes (default: ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--threads", defaultValue = "2", description = "Stream threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--partitions", defaultValue = "6",
      description = "Partitions of tally.increments if it does not exist yet (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "3",
      description = "Replicas of NEW's changelogs, as the instances' (default: ${DEFAULT-VALUE}).")
  int replicationFactor;

  /** As the instances that will run NEW count: the fixed values, after a replay for a fix. */
  @Mixin
  CountingOptions counting;

  @Override
  public Integer call() throws Exception {
    if (applicationId == null) {
      System.err.println("tally replay: give --application-id NEW, the id to count into");
      return 2;
    }
    String refusal = replicationFactor < 1 ? "--replication-factor must be 1 or more" : counting.refusal();
    if (refusal != null) {
      System.err.println("tally replay: " + refusal);
      return 2;
    }
    Map<String, Object> kafka = KafkaConfigFile.clientSettings(kafkaConfig, bootstrapServers);
    TallyConfig config = counting.topology();
    List<String> inputs = List.of(config.incrementsTopic(), config.backfillTopic());
    try (Admin admin = Admin.create(kafka)) {
      ApplicationState state = new ApplicationState(admin, applicationId);
      if (state.runningInstances() > 0) {
        System.err.printf("tally replay: %s has running instances; a replay builds an id nothing runs yet%n",
            applicationId);
        return 2;
      }
      if (from != null) {
        if (state.hasOffsets()) {
          System.err.printf("tally replay: %s has counted already; run without --from to go on, or tally reset it%n",
              applicationId);
          return 2;
        }
        Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
        for (String topic : inputs) {
          String gone = startOffsets(admin, kafka, topic, from, start);
          if (gone != null) {
            System.err.println("tally replay: " + gone);
            return 2;
          }
        }
        admin.alterConsumerGroupOffsets(applicationId, start).all().get();
      }
      System.err.printf("replaying %s into %s%s%n", inputs, applicationId, from == null ? " from the beginning"
          : " from " + from);
      NodeSettings settings = new NodeSettings(Optional.of(bootstrapServers), 0, "localhost", Ports.free(),
          Ports.free(), "127.0.0.1", Optional.empty(), dataDir, partitions, replicationFactor, applicationId,
          "exactly_once_v2", threads, config, 0, REPLAY_STREAMS, 0, Optional.empty(),
          KafkaConfigFile.read(kafkaConfig), Limits.DEFAULTS);
      long started = System.nanoTime();
      long firstLag = -1;
      try (TallyNode node = TallyNode.start(settings)) {
        while (true) {
          Thread.sleep(TICK.toMillis());
          long[] lag = lag(admin, inputs);
          firstLag = firstLag < 0 ? lag[1] : firstLag;
          double seconds = (System.nanoTime() - started) / 1e9;
          double rate = Math.max(0, firstLag - lag[1]) / seconds;
          System.err.printf("\rpartitions %d  lag %,d  %,.0f events/s  ETA %s   ", lag[0], lag[1], rate,
              rate > 0 ? Duration.ofSeconds(Math.round(lag[1] / rate)).toString().substring(2) : "-");
          if (lag[1] <= CAUGHT_UP && node.running()) {
            break;
          }
        }
      }
      System.err.println();
      System.out.printf("caught up: %s holds the counts (its changelogs in Kafka, its state in %s).%n"
          + "Move the instances to it one at a time: stop, start with --application-id %s, wait for "
          + "/health/ready. Then drop the old id: tally replay drop OLD%n", applicationId,
          dataDir.resolve("streams").resolve(applicationId).toAbsolutePath(), applicationId);
      return 0;
    }
  }

  /**
   * Puts the offsets of the first records of {@code topic} written at or after {@code from} into
   * {@code start}; or says why not: {@code from} lies before what the topic still keeps.
   */
  private static String startOffsets(Admin admin, Map<String, Object> kafka, String topic, Instant from,
      Map<TopicPartition, OffsetAndMetadata> start) throws ExecutionException, InterruptedException {
    Map<TopicPartition, ListOffsetsResultInfo> earliest = offsets(admin, topic, OffsetSpec.earliest());
    Map<TopicPartition, ListOffsetsResultInfo> latest = offsets(admin, topic, OffsetSpec.latest());
    Map<TopicPartition, ListOffsetsResultInfo> atTime = offsets(admin, topic, OffsetSpec.forTimestamp(from.toEpochMilli()));
    for (TopicPartition partition : earliest.keySet()) {
      long first = earliest.get(partition).offset();
      if (first > 0 && first < latest.get(partition).offset()) {
        long firstWritten = timestampAt(kafka, partition, first);
        if (firstWritten > from.toEpochMilli()) {
          return "--from " + from + " is before what " + topic + " keeps: partition " + partition.partition()
              + " starts at offset " + first + ", written " + Instant.ofEpochMilli(firstWritten)
              + "; events before that are gone";
        }
      }
      long offset = atTime.get(partition).offset();
      start.put(partition, new OffsetAndMetadata(offset < 0 ? latest.get(partition).offset() : offset));
    }
    return null;
  }

  private static Map<TopicPartition, ListOffsetsResultInfo> offsets(Admin admin, String topic, OffsetSpec spec)
      throws ExecutionException, InterruptedException {
    int partitions = TallyTopics.partitions(admin, topic);
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), spec);
    }
    return admin.listOffsets(request).all().get();
  }

  private static long timestampAt(Map<String, Object> kafka, TopicPartition partition, long offset) {
    Map<String, Object> settings = new HashMap<>(kafka);
    settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seek(partition, offset);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          return record.timestamp();
        }
      }
      throw new IllegalStateException("cannot read " + partition + " at offset " + offset);
    }
  }

  /** {@code [partitions, records not yet counted]} of the inputs, by the group's committed offsets. */
  private long[] lag(Admin admin, List<String> inputs) throws ExecutionException, InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
        .partitionsToOffsetAndMetadata().get();
    Map<TopicPartition, Long> position = new HashMap<>();
    Map<TopicPartition, OffsetSpec> uncommitted = new HashMap<>();
    Map<TopicPartition, ListOffsetsResultInfo> latest = new HashMap<>();
    for (String topic : inputs) {
      latest.putAll(offsets(admin, topic, OffsetSpec.latest()));
    }
    for (TopicPartition partition : latest.keySet()) {
      OffsetAndMetadata done = committed.get(partition);
      if (done != null) {
        position.put(partition, done.offset());
      } else {
        uncommitted.put(partition, OffsetSpec.earliest());
      }
    }
    if (!uncommitted.isEmpty()) {
      admin.listOffsets(uncommitted).all().get().forEach((partition, first) -> position.put(partition, first.offset()));
    }
    long lag = 0;
    for (Map.Entry<TopicPartition, ListOffsetsResultInfo> end : latest.entrySet()) {
      lag += Math.max(0, end.getValue().offset() - position.get(end.getKey()));
    }
    long partitions = latest.size();
    return new long[] {partitions, lag};
  }

  /** {@code tally replay drop OLD}: what an application id no instance runs any more left in Kafka and here. */
  @Command(name = "drop", mixinStandardHelpOptions = true,
      description = "Delete an old application id's group, internal topics and local state.")
  static final class Drop implements Callable<Integer> {

    @Parameters(paramLabel = "OLD", description = "The application id the instances no longer run.")
    String applicationId;

    @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Default: ${DEFAULT-VALUE}.")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (security).")
    Path kafkaConfig;

    @Option(names = "--data-dir", defaultValue = "data", description = "Whose streams/OLD to wipe (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
      try (Admin admin = Admin.create(KafkaConfigFile.clientSettings(kafkaConfig, bootstrapServers))) {
        ApplicationState state = new ApplicationState(admin, applicationId);
        int running = state.runningInstances();
        if (running > 0) {
          System.err.printf("tally replay drop: %d instance(s) still run %s; move them first%n", running,
              applicationId);
          return 2;
        }
        List<String> topics = state.internalTopics();
        state.forget(topics, dataDir);
        System.out.printf("dropped %s: its group, %d internal topic(s) and %s%n", applicationId, topics.size(),
            state.localState(dataDir).toAbsolutePath());
        return 0;
      }
    }
  }
}
