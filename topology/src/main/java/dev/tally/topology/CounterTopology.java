package dev.tally.topology;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The counting topology:
 *
 * <pre>
 * tally.increments -&gt; [increments-source] -&gt; [count] -&gt; [dlq-sink] -&gt; tally.dlq
 *                                              stores: counter-totals, counts-1s, counts-1m, counts-1h,
 *                                                      stream-time
 * </pre>
 *
 * <p>Built with the Processor API so that one processor decodes, validates and updates every store for
 * an event in one pass, and routes what it cannot count to the dead-letter topic with the original bytes.
 * Hopping windows and trailing reads are sums of tier buckets, computed on read, so they cost nothing per
 * event. The input must be keyed by shard key, so no repartition is needed. No record cache: with many
 * distinct keys it costs more than it saves (see PERFORMANCE.md).
 */
public final class CounterTopology {

  public static final String SOURCE = "increments-source";
  public static final String COUNT = "count";
  public static final String DLQ_SINK = "dlq-sink";

  private CounterTopology() {}

  public static Topology build(TallyConfig config) {
    Topology topology = new Topology();
    topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.incrementsTopic());
    topology.addProcessor(COUNT, () -> new CountProcessor(config), SOURCE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.COUNTER_TOTALS), Serdes.String(), new PnCounterSerde())
            .withCachingDisabled(),
        COUNT);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.STREAM_TIME), Serdes.String(), Serdes.Long())
            .withCachingDisabled(),
        COUNT);
    for (Tier tier : config.tiers()) {
      topology.addStateStore(
          Stores.windowStoreBuilder(
                  Stores.persistentWindowStore(tier.store(), tier.retention(), tier.size(), false),
                  Serdes.String(), new PnCounterSerde())
              .withCachingDisabled(),
          COUNT);
    }
    topology.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), new ByteArraySerializer(), COUNT);
    return topology;
  }
}
