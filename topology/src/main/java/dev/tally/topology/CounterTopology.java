package dev.tally.topology;

import dev.tally.schemas.ShardConfigSerde;
import java.time.Duration;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The counting topology:
 *
 * <pre>
 * tally.increments, tally.backfill -&gt; [increments-source] -&gt; [placed] -&gt; [merge-rerouted] -&gt; [count] -&gt; [route-]
 *     [increments-source] -&gt; [misplaced] -&gt; rerouted-repartition -&gt; [merge-rerouted]
 *       (records a producer put outside their key's partition; only when the partition count is known)
 *     [count] stores: counter-totals (heads: totals and open buckets), counts-1s, counts-1m, counts-1h,
 *                     uniques-all (heads), uniques-1h, uniques-1d, stream-time, top-1s,
 *                     event-ids (when the dedupe horizon is not zero);
 *                     reads the global store shard-config
 *     [route-] -&gt; [route-dlq] -&gt; [dlq-unwrap] -&gt; [dlq-sink] -&gt; tally.dlq
 *     [route-] -&gt; [route-shard-decisions] -&gt; [shard-decision-unwrap] -&gt; [shard-config-sink] -&gt; tally.shard-config
 * tally.shard-config -&gt; [shard-config-update-source] -&gt; [shard-config-update] -&gt; global store shard-config
 *     (each counter's largest shard count: {@link ShardConfigUpdater})
 * </pre>
 *
 * <p>One Processor-API node decodes, validates and updates every store for an event in one pass, and
 * routes what it cannot count to the dead-letter topic with the original bytes. Hopping windows,
 * trailing reads and the per-counter rate are sums of tier buckets, computed on read, so they cost
 * nothing per event. Hot detection and the top counters work on per-second activity counts that never
 * leave their task, so nothing is repartitioned: the input must be keyed by shard key. No record cache
 * anywhere: each counting store sits behind a write-back buffer instead ({@link HeadStore},
 * {@link BufferedWindowStore}), plain maps written down once per key per commit.
 */
public final class CounterTopology {

  public static final String SOURCE = "increments-source";
  public static final String COUNT = "count";
  /** Partition check: records in their key's partition, and the others, re-routed through {@link #REROUTED}. */
  public static final String PLACED = "placed";
  public static final String MISPLACED = "misplaced";
  public static final String REROUTED = "rerouted";
  public static final String MERGE_REROUTED = "merge-rerouted";
  public static final String ROUTE = "route-";
  public static final String DLQ_SINK = "dlq-sink";
  public static final String SHARD_CONFIG_SINK = "shard-config-sink";
  public static final String SHARD_CONFIG_UPDATE = "shard-config-update";
  /**
   * Keys a write-back buffered store holds, per task, before it writes them down ahead of the commit.
   * A counter entry is about 150 bytes of heap.
   */
  static final int BUFFER_MAX_KEYS = 10_000;
  /**
   * What the sketches a sketch head store buffers may weigh together, per task (their updatable
   * sizes: a sketch of a few items takes tens of bytes, a dense one about 8 KB at lgK 14). Past it,
   * or past {@link #BUFFER_MAX_KEYS} keys, the buffer is written down early.
   */
  static final long SKETCH_BUFFER_MAX_BYTES = 32L << 20;
  /** Keys of closed sketch buckets a tier's window store buffers: up to about 8 KB each at lgK 14. */
  static final int SKETCH_BUFFER_MAX_KEYS = 1_000;
  /** The window of the per-counter rate and of the top counters. */
  public static final Duration RATE_WINDOW = Duration.ofMinutes(1);
  /**
   * Kept longer than read: a window store opens a RocksDB segment every half retention, and a
   * segment a minute was most of the cost of a driver test whose stream time runs fast.
   */
  private static final Duration TOP_RETENTION = Duration.ofMinutes(10);

  private CounterTopology() {}

  public static Topology build(TallyConfig config) {
    return build(config, new TaskStores());
  }

  /** The topology, whose write-back buffered stores register in {@code taskStores} while open. */
  public static Topology build(TallyConfig config, TaskStores taskStores) {
    StreamsBuilder builder = new StreamsBuilder();
    // Every instance holds all shard counts, each counter's largest ever: producers, readers and the
    // detector consult them.
    builder.addGlobalStore(
        Stores.timestampedKeyValueStoreBuilder(Stores.persistentTimestampedKeyValueStore(StoreNames.SHARD_CONFIG),
            Serdes.String(), new ShardConfigSerde()).withLoggingDisabled(),
        config.shardConfigTopic(), Consumed.with(Serdes.String(), new ShardConfigSerde()).withName(SHARD_CONFIG_UPDATE),
        ShardConfigUpdater::new);
    // The counting processor's stores, each behind a write-back buffer written down inside every commit.
    // (The stores "activity-pending", "rate-1m" and "shard-decisions" and the repartition topic
    // "activity" of earlier builds are gone: nothing reads their topics any more.)
    addHeadStore(builder, taskStores, StoreNames.COUNTER_TOTALS, config.tiers(), new PnCounterSerde(),
        PnCounterSerde.PACKED, HeadStore.Bound.keys(BUFFER_MAX_KEYS), BUFFER_MAX_KEYS, PnCounter::plus,
        UnaryOperator.identity());
    addHeadStore(builder, taskStores, StoreNames.UNIQUES_ALL, config.uniqueTiers(), new HllSketchSerde(),
        HllSketchSerde.PACKED, new HeadStore.Bound<>(BUFFER_MAX_KEYS, HllSketch::getUpdatableSerializationBytes,
            SKETCH_BUFFER_MAX_BYTES), SKETCH_BUFFER_MAX_KEYS,
        (a, b) -> UniqueSketches.merge(a, b, config.hllLgK()), HllSketch::copy);
    builder.addStateStore(new BufferedStoreBuilder<>(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.STREAM_TIME), Serdes.String(),
            Serdes.Long()),
        inner -> new BufferedKeyValueStore<>(inner, taskStores, BUFFER_MAX_KEYS, UnaryOperator.identity())));
    // One record a second per task: no buffer needed.
    builder.addStateStore(Stores.windowStoreBuilder(WindowStoreOffsets.around(Stores.persistentWindowStore(
            StoreNames.TOP_1S, TOP_RETENTION, Duration.ofSeconds(1), false)), Serdes.String(),
            new TopCounters.TopCountersSerde())
        .withCachingDisabled());

    if (config.dedupes()) {
      // Ids are unique per event: a record cache would hold nothing twice.
      builder.addStateStore(Stores.windowStoreBuilder(WindowStoreOffsets.around(Stores.persistentWindowStore(
              StoreNames.EVENT_IDS, config.dedupeHorizon(), Duration.ofMillis(1), false)), Serdes.String(), Serdes.Long())
          .withCachingDisabled());
    }

    // Live events and history, partition by partition in the same tasks: the two topics are co-partitioned.
    KStream<byte[], byte[]> increments = builder.stream(List.of(config.incrementsTopic(), config.backfillTopic()),
        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE));
    if (config.incrementsPartitions() > 0) {
      // Records a producer put where Kafka's default partitioner would not go to the task that owns
      // their key, through a repartition topic; the others pay a hash at each check.
      int partitions = config.incrementsPartitions();
      KStream<byte[], byte[]> rerouted = increments
          .process(() -> new PartitionCheck(partitions, false, config.backfillTopic()), Named.as(MISPLACED))
          .repartition(Repartitioned.<byte[], byte[]>as(REROUTED)
              .withKeySerde(Serdes.ByteArray()).withValueSerde(Serdes.ByteArray()));
      increments = increments.process(() -> new PartitionCheck(partitions, true, config.backfillTopic()),
              Named.as(PLACED))
          .merge(rerouted, Named.as(MERGE_REROUTED));
    }
    KStream<String, CountOutput> outputs = increments
        .process(() -> new CountProcessor(config), Named.as(COUNT), storeNames(config));

    outputs.split(Named.as(ROUTE))
        .branch((key, output) -> output instanceof CountOutput.DeadLetter, Branched.withConsumer(letters -> letters
            .map((key, output) -> {
              CountOutput.DeadLetter letter = (CountOutput.DeadLetter) output;
              return KeyValue.pair(letter.key(), letter.value());
            }, Named.as("dlq-unwrap"))
            .to(config.dlqTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(DLQ_SINK)),
            "dlq"))
        .defaultBranch(Branched.withConsumer(decisions -> decisions
            .mapValues(output -> ((CountOutput.ShardDecision) output).config(), Named.as("shard-decision-unwrap"))
            .to(config.shardConfigTopic(), Produced.with(Serdes.String(), new ShardConfigSerde())
                .withName(SHARD_CONFIG_SINK)), "shard-decisions"));
    return builder.build();
  }

  /**
   * A {@link HeadStore} (a key's all-time value and open buckets) and the window stores of its tiers
   * (closed buckets), behind write-back buffers: the head store's bounded by {@code bound}, each tier
   * store's by {@code tierKeys} keys.
   */
  private static <V> void addHeadStore(StreamsBuilder builder, TaskStores taskStores, String name, List<Tier> tiers,
      Serde<V> serde, PackedFormat<V> packed, HeadStore.Bound<V> bound, int tierKeys, BinaryOperator<V> merge,
      UnaryOperator<V> copy) {
    builder.addStateStore(new BufferedStoreBuilder<>(
        Stores.keyValueStoreBuilder(WriteDownPosition.around(Stores.persistentKeyValueStore(name)), Serdes.String(),
            new HeadSerde<>(serde, packed, tiers)),
        inner -> new HeadStore<>(inner, taskStores, tiers, bound, merge, copy)));
    for (int i = 0; i < tiers.size(); i++) {
      Tier tier = tiers.get(i);
      int index = i;
      builder.addStateStore(new BufferedStoreBuilder<>(
          Stores.windowStoreBuilder(WindowStoreOffsets.around(
              Stores.persistentWindowStore(tier.store(), tier.retention(), tier.size(), false)), Serdes.String(), serde),
          inner -> new BufferedWindowStore<>(inner, taskStores, tierKeys, copy, name, index,
              tier.retention().toMillis())));
    }
  }

  /** The stores the counting processor updates. */
  private static String[] storeNames(TallyConfig config) {
    return Stream.of(
            Stream.of(StoreNames.COUNTER_TOTALS, StoreNames.STREAM_TIME, StoreNames.UNIQUES_ALL, StoreNames.TOP_1S),
            Stream.concat(config.tiers().stream(), config.uniqueTiers().stream()).map(Tier::store),
            config.dedupes() ? Stream.of(StoreNames.EVENT_IDS) : Stream.<String>empty())
        .flatMap(names -> names)
        .toArray(String[]::new);
  }
}
