package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import dev.tally.schemas.ShardKeys;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
      // As TallyProducer does, "hot" is spread over the shard count last decided.
      List<TestRecord<String, ShardConfig>> decisions = new ArrayList<>();
      Random random = new Random(7);
      for (long t = T0; t < T0 + 120_000; t += 2) {
        decisions.addAll(shardConfig.readRecordsToList());
        int shards = decisions.isEmpty() ? 1 : decisions.get(decisions.size() - 1).value().getShards();
        send(input, serde, ShardKeys.of("hot", random.nextInt(shards)), "hot", t);
        if ((t - T0) % 1_000 == 0) {
          send(input, serde, "quiet", t);
        }
      }
      decisions.addAll(shardConfig.readRecordsToList());

      assertThat(decisions).extracting(TestRecord::key).containsExactly("hot", "hot");
      assertThat(decisions).extracting(r -> r.value().getShards()).containsExactly(4, 16);
      assertThat(decisions).extracting(r -> r.value().getReason().toString()).containsOnly("auto");
      assertThat(decisions.get(1).value().getEventsPerSecond()).isGreaterThan(200);
    }
  }

  /** Issue 11: 300,000 events at 40,000/s (7.5 s) were never noticed by a one-minute average. */
  @Test
  void aBurstOfAFewSecondsIsRaisedWithinFiveSeconds() {
    // Scaled down tenfold for the driver: threshold 1,000/s, a burst of 4,000/s for 5 s.
    TallyConfig config = TallyConfig.defaults().withHotEventsPerSecond(1_000);
    IncrementEventSerde serde = new IncrementEventSerde();
    try (TopologyTestDriver driver = TestDrivers.of(config, "hot-burst-test")) {
      TestInputTopic<byte[], byte[]> input = driver.createInputTopic(
          TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<String, ShardConfig> shardConfig = driver.createOutputTopic(
          TallyConfig.SHARD_CONFIG_TOPIC, new StringDeserializer(), new ShardConfigSerde().deserializer());
      for (int i = 0; i < 20_000; i++) {
        send(input, serde, "burst", T0 + i / 4);
      }
      send(input, serde, "after", T0 + 6_000);

      List<TestRecord<String, ShardConfig>> decisions = shardConfig.readRecordsToList();
      assertThat(decisions).extracting(TestRecord::key).containsExactly("burst");
      assertThat(decisions.get(0).value().getShards()).isEqualTo(4);
      assertThat(decisions.get(0).value().getDecidedAt().toEpochMilli()).isLessThanOrEqualTo(T0 + 5_000);
    }
  }

  @Test
  void aCounterJustUnderTheThresholdIsNeverRaised() {
    TallyConfig config = TallyConfig.defaults().withHotEventsPerSecond(1_000);
    IncrementEventSerde serde = new IncrementEventSerde();
    try (TopologyTestDriver driver = TestDrivers.of(config, "hot-under-test")) {
      TestInputTopic<byte[], byte[]> input = driver.createInputTopic(
          TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<String, ShardConfig> shardConfig = driver.createOutputTopic(
          TallyConfig.SHARD_CONFIG_TOPIC, new StringDeserializer(), new ShardConfigSerde().deserializer());
      // 900 events a second for 10 s, with two seconds of 2,000 that are not consecutive enough.
      for (long second = 0; second < 10; second++) {
        int events = second == 3 || second == 6 ? 2_000 : 900;
        for (int i = 0; i < events; i++) {
          send(input, serde, "steady", T0 + second * 1_000 + (long) i * 1_000 / events);
        }
      }
      send(input, serde, "after", T0 + 11_000);
      assertThat(shardConfig.readRecordsToList()).isEmpty();
    }
  }

  private static void send(TestInputTopic<byte[], byte[]> input, IncrementEventSerde serde, String counter, long t) {
    send(input, serde, counter, counter, t);
  }

  private static void send(TestInputTopic<byte[], byte[]> input, IncrementEventSerde serde, String shardKey,
      String counter, long t) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(1)
        .setEventTime(Instant.ofEpochMilli(t)).build();
    input.pipeInput(new TestRecord<>(shardKey.getBytes(StandardCharsets.UTF_8), serde.encode(event),
        Instant.ofEpochMilli(t)));
  }
}
