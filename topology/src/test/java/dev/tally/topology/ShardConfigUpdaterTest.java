package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import java.time.Instant;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.Test;

/** Issue 12, item 1: a shard count never goes down, whatever order the topic holds. */
class ShardConfigUpdaterTest {

  @Test
  void theStoreKeepsEachCountersLargestShardCount() {
    try (TopologyTestDriver driver = TestDrivers.of(TallyConfig.defaults(), "shard-config-max-test")) {
      TestInputTopic<String, ShardConfig> topic = driver.createInputTopic(TallyConfig.SHARD_CONFIG_TOPIC,
          new StringSerializer(), new ShardConfigSerde().serializer());
      KeyValueStore<String, ValueAndTimestamp<ShardConfig>> store =
          driver.getTimestampedKeyValueStore(StoreNames.SHARD_CONFIG);

      topic.pipeInput("c", config("c", 4));
      topic.pipeInput("c", config("c", 16));
      assertThat(store.get("c").value().getShards()).isEqualTo(16);

      // A pin of 4 that raced the 16, then a tombstone: neither lowers it.
      topic.pipeInput("c", config("c", 4));
      topic.pipeInput("c", null);
      assertThat(store.get("c").value().getShards()).isEqualTo(16);

      topic.pipeInput("c", config("c", 64));
      topic.pipeInput("d", config("d", 4));
      assertThat(store.get("c").value().getShards()).isEqualTo(64);
      assertThat(store.get("d").value().getShards()).isEqualTo(4);
    }
  }

  private static ShardConfig config(String counter, int shards) {
    return ShardConfig.newBuilder().setCounter(counter).setShards(shards).setReason("pinned")
        .setEventsPerSecond(0).setDecidedAt(Instant.EPOCH).build();
  }
}
