package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** A counter driven past the hot threshold gets 4, then 16 shards; quiet counters keep one. */
class HotCounterTest {

  private static final long T0 = Instant.parse("2026-11-29T12:00:00Z").toEpochMilli();

  @Test
  void aCounterDrivenPastTheThresholdGetsFourThenSixteenShards() {
    // Threshold 50 events/s per shard; "hot" runs at 500/s: 4 shards still carry 125/s each, 16 carry 31.
    TallyConfig config = TallyConfig.defaults().withHotEventsPerSecond(50);
    IncrementEventSerde serde = new IncrementEventSerde();
    try (TopologyTestDriver driver = TestDrivers.of(config, "hot-counter-test")) {
      TestInputTopic<byte[], byte[]> input = driver.createInputTopic(
          TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<String, ShardConfig> shardConfig = driver.createOutputTopic(
          TallyConfig.SHARD_CONFIG_TOPIC, new StringDeserializer(), new ShardConfigSerde().deserializer());
      for (long t = T0; t < T0 + 120_000; t += 2) {
        send(input, serde, "hot", t);
        if ((t - T0) % 1_000 == 0) {
          send(input, serde, "quiet", t);
        }
      }

      List<TestRecord<String, ShardConfig>> decisions = shardConfig.readRecordsToList();
      assertThat(decisions).extracting(TestRecord::key).containsExactly("hot", "hot");
      assertThat(decisions).extracting(r -> r.value().getShards()).containsExactly(4, 16);
      assertThat(decisions).extracting(r -> r.value().getReason().toString()).containsOnly("auto");
      assertThat(decisions.get(1).value().getEventsPerSecond()).isGreaterThan(200);
    }
  }

  private static void send(TestInputTopic<byte[], byte[]> input, IncrementEventSerde serde, String counter, long t) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(1)
        .setEventTime(Instant.ofEpochMilli(t)).build();
    input.pipeInput(new TestRecord<>(counter.getBytes(StandardCharsets.UTF_8), serde.encode(event),
        Instant.ofEpochMilli(t)));
  }
}
