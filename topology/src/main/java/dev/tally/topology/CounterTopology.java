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
 * tally.increments -&gt; [increments-source] -&gt; [count] (store counter-totals) -&gt; [dlq-sink] -&gt; tally.dlq
 * </pre>
 *
 * <p>Built with the Processor API so that one processor decodes, validates and updates the stores for an
 * event in one pass, and routes what it cannot count to the dead-letter topic with the original bytes.
 * The input must be keyed by shard key, so no repartition is needed. Every node and store is named here.
 */
public final class CounterTopology {

  public static final String SOURCE = "increments-source";
  public static final String COUNT = "count";
  public static final String DLQ_SINK = "dlq-sink";

  private CounterTopology() {}

  public static Topology build(TallyConfig config) {
    Topology topology = new Topology();
    topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.incrementsTopic());
    topology.addProcessor(COUNT, CountProcessor::new, SOURCE);
    // No record cache: with many distinct keys it costs more than it saves (see PERFORMANCE.md).
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.COUNTER_TOTALS), Serdes.String(), new PnCounterSerde())
            .withCachingDisabled(),
        COUNT);
    topology.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), new ByteArraySerializer(), COUNT);
    return topology;
  }
}
