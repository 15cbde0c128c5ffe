package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** The per-counter rate: a sliding 1-minute sum over one activity tick per counter per second. */
class RateTopologyTest {

  private static final long T0 = Instant.parse("2026-11-29T12:00:00Z").toEpochMilli();

  @Test
  void aHotCounterOverTwoShardsAndAQuietOneGetTheirRates() {
    IncrementEventSerde serde = new IncrementEventSerde();
    try (TopologyTestDriver driver = TestDrivers.of(TallyConfig.defaults(), "rate-topology-test")) {
      TestInputTopic<byte[], byte[]> input = driver.createInputTopic(
          TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
      long last = T0;
      // 120 s: "hot" gets 40 events/s over shard keys hot and hot#1; "quiet" one event every 10 s.
      for (long t = T0; t < T0 + 120_000; t += 25) {
        String key = (t / 25) % 2 == 0 ? "hot" : "hot#1";
        send(input, serde, key, "hot", t);
        if ((t - T0) % 10_000 == 0) {
          send(input, serde, "quiet", "quiet", t);
        }
        last = t;
      }

      WindowStore<String, ValueAndTimestamp<Long>> rates = driver.getTimestampedWindowStore(StoreNames.RATE_1M);
      // 60 or 61 ticks of 40 events fall in the last minute, depending on where the ticks land.
      assertThat(lastMinute(rates, "hot", last)).isBetween(40L * 59, 40L * 61);
      assertThat(lastMinute(rates, "quiet", last)).isBetween(5L, 7L);
      assertThat(lastMinute(rates, "hot#1", last)).as("rates are per counter, not per shard").isZero();
    }
  }

  /** The sum of the latest sliding window that ended by {@code now}. */
  private static long lastMinute(WindowStore<String, ValueAndTimestamp<Long>> rates, String counter, long now) {
    long window = CounterTopology.RATE_WINDOW.toMillis();
    KeyValue<Long, ValueAndTimestamp<Long>> latest = null;
    try (WindowStoreIterator<ValueAndTimestamp<Long>> iterator = rates.fetch(counter,
        Instant.ofEpochMilli(now - 2 * window), Instant.ofEpochMilli(now))) {
      while (iterator.hasNext()) {
        KeyValue<Long, ValueAndTimestamp<Long>> next = iterator.next();
        if (next.key + window <= now && (latest == null || next.key > latest.key)) {
          latest = next;
        }
      }
    }
    return latest == null ? 0 : latest.value.value();
  }

  private static void send(TestInputTopic<byte[], byte[]> input, IncrementEventSerde serde, String key,
      String counter, long time) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(1)
        .setEventTime(Instant.ofEpochMilli(time)).build();
    input.pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), serde.encode(event), Instant.ofEpochMilli(time)));
  }
}
