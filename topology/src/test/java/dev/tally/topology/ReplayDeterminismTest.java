package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, item 4: replaying the same records twice gives the same state, byte for byte: every
 * store's changelog, read to its last value per key (totals and open buckets, closed window buckets,
 * sketches, stream time, event ids, top counters), is equal between two runs on fresh state.
 */
class ReplayDeterminismTest {

  private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");

  @Test
  void twoReplaysOfTheSameRecordsLeaveEveryStoreIdentical() {
    List<Input> records = records(new Random(20261130L));

    Map<String, Map<String, String>> first = replay(records);
    Map<String, Map<String, String>> second = replay(records);

    assertThat(first.keySet()).as("changelog topics").contains(
        "determinism-counter-totals-changelog", "determinism-counts-1m-changelog",
        "determinism-uniques-all-changelog", "determinism-uniques-1h-changelog",
        "determinism-stream-time-changelog", "determinism-event-ids-changelog");
    first.forEach((topic, state) -> assertThat(state).as(topic).isNotEmpty());
    assertThat(first.get("determinism-counter-totals-changelog")).hasSizeGreaterThan(100);
    assertThat(second).isEqualTo(first);
  }

  private record Input(String topic, byte[] key, byte[] value, Instant timestamp) {}

  /** Live events in and out of order, some late, some with items and ids, some history, some garbage. */
  private static List<Input> records(Random random) {
    IncrementEventSerde serde = new IncrementEventSerde();
    List<Input> records = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      Instant written = T0.plusMillis(i * 73L);
      boolean history = random.nextInt(10) == 0;
      Instant eventTime = history ? written.minusSeconds(random.nextInt(10 * 24 * 3600))
          : written.minusMillis(random.nextInt(i % 500 == 0 ? 600_000 : 2_000));
      String counter = "c" + random.nextInt(300);
      IncrementEvent.Builder event = IncrementEvent.newBuilder().setCounter(counter)
          .setDelta(random.nextInt(20) - 5).setEventTime(eventTime);
      if (random.nextBoolean()) {
        event.setItem("u" + random.nextInt(5_000));
      }
      if (random.nextInt(5) == 0) {
        event.setEventId("e" + random.nextInt(3_000));
      }
      byte[] value = random.nextInt(1_000) == 0 ? "garbage".getBytes(StandardCharsets.UTF_8) : serde.encode(event.build());
      records.add(new Input(history ? TallyConfig.BACKFILL_TOPIC : TallyConfig.INCREMENTS_TOPIC,
          counter.getBytes(StandardCharsets.UTF_8), value, written));
    }
    return records;
  }

  /** Every changelog topic's last value per key (hex), after {@code records} on fresh state. */
  private static Map<String, Map<String, String>> replay(List<Input> records) {
    Map<String, Map<String, String>> state = new TreeMap<>();
    try (TopologyTestDriver driver = TestDrivers.of(TallyConfig.defaults(), "determinism")) {
      Map<String, TestInputTopic<byte[], byte[]>> inputs = Map.of(
          TallyConfig.INCREMENTS_TOPIC, driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(),
              new ByteArraySerializer()),
          TallyConfig.BACKFILL_TOPIC, driver.createInputTopic(TallyConfig.BACKFILL_TOPIC, new ByteArraySerializer(),
              new ByteArraySerializer()));
      for (Input record : records) {
        inputs.get(record.topic()).pipeInput(new TestRecord<>(record.key(), record.value(), record.timestamp()));
      }
      HexFormat hex = HexFormat.of();
      for (String topic : driver.producedTopicNames()) {
        if (!topic.endsWith("-changelog")) {
          continue;
        }
        TestOutputTopic<byte[], byte[]> changelog = driver.createOutputTopic(topic, new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
        Map<String, String> last = new TreeMap<>();
        changelog.readRecordsToList().forEach(record -> {
          String key = hex.formatHex(record.key());
          if (record.value() == null) {
            last.remove(key);
          } else {
            last.put(key, hex.formatHex(record.value()));
          }
        });
        state.put(topic, last);
      }
    }
    return state;
  }
}
