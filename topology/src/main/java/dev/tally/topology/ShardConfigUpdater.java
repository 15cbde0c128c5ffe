package dev.tally.topology;

import dev.tally.schemas.ShardConfig;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Keeps the global store {@code shard-config}: each counter's largest shard count ever read from
 * {@code tally.shard-config}. Anyone can write to that topic, and two writers can race (a pin of 4
 * sent before the pin of 16 it did not see yet arrived; an automatic raise beside a pin), so the last
 * record is not always the largest. Reads, the hot-counter detector and producers all follow the
 * largest, so a read covers every shard that has held data. A tombstone lowers nothing either. Kafka
 * Streams runs this processor when it restores the store too ({@code StreamsBuilder.addGlobalStore}),
 * so a restored store keeps the same rule.
 */
final class ShardConfigUpdater implements Processor<String, ShardConfig, Void, Void> {

  private TimestampedKeyValueStore<String, ShardConfig> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(StoreNames.SHARD_CONFIG);
  }

  @Override
  public void process(Record<String, ShardConfig> record) {
    if (record.key() == null || record.value() == null) {
      return;
    }
    ValueAndTimestamp<ShardConfig> current = store.get(record.key());
    if (current == null || current.value() == null || record.value().getShards() > current.value().getShards()) {
      store.put(record.key(), ValueAndTimestamp.make(record.value(), record.timestamp()));
    }
  }
}
