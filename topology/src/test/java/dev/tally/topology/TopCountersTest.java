package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** The top counters: each task's busiest counters of each second, by counter id (shards summed). */
class TopCountersTest {

  private static final long T0 = Instant.parse("2026-11-29T12:00:00Z").toEpochMilli();

  @Test
  void aHotCounterOverTwoShardsAndAQuietOneGetTheirRates() {
    IncrementEventSerde serde = new IncrementEventSerde();
    try (TopologyTestDriver driver = TestDrivers.of(TallyConfig.defaults(), "top-counters-test")) {
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

      WindowStore<String, TopCounters> top = driver.getWindowStore(StoreNames.TOP_1S);
      Map<String, Long> lastMinute = new HashMap<>();
      try (WindowStoreIterator<TopCounters> seconds = top.fetch(TopCounters.KEY,
          Instant.ofEpochMilli(last - 60_000), Instant.ofEpochMilli(last))) {
        seconds.forEachRemaining(second -> second.value.events().forEach((counter, events) ->
            lastMinute.merge(counter, events, Long::sum)));
      }
      // 59 or 60 whole seconds of 40 events fall in the last minute, depending on where the ticks land.
      assertThat(lastMinute.get("hot")).isBetween(40L * 59, 40L * 60);
      assertThat(lastMinute.get("quiet")).isBetween(5L, 7L);
      assertThat(lastMinute).as("by counter, not by shard").doesNotContainKey("hot#1");
    }
  }

  @Test
  void eachSecondKeepsTheBusiestCountersUpToTheLimit() {
    Map<String, Long> events = new HashMap<>();
    for (int i = 0; i < 3 * TopCounters.LIMIT; i++) {
      events.put("c" + i, (long) i);
    }
    TopCounters top = TopCounters.of(events);
    assertThat(top.events()).hasSize(TopCounters.LIMIT);
    assertThat(top.events().keySet()).startsWith("c299", "c298").doesNotContain("c199");
    TopCounters.TopCountersSerde serde = new TopCounters.TopCountersSerde();
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", top))).isEqualTo(top);
  }

  @Test
  void theBoundedSelectionKeepsWhatSortingEverythingWouldKeepTiesByCounterId() {
    Random random = new Random(11);
    for (int round = 0; round < 200; round++) {
      Map<String, Long> events = new HashMap<>();
      int counters = random.nextInt(3 * TopCounters.LIMIT);
      for (int i = 0; i < counters; i++) {
        events.put("c" + random.nextInt(1_000), 1L + random.nextInt(5));
      }
      List<String> sorted = events.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
              .thenComparing(Map.Entry.comparingByKey()))
          .limit(TopCounters.LIMIT).map(Map.Entry::getKey).toList();
      assertThat(List.copyOf(TopCounters.of(events).events().keySet())).as("round %d", round).isEqualTo(sorted);
    }
  }

  private static void send(TestInputTopic<byte[], byte[]> input, IncrementEventSerde serde, String key,
      String counter, long time) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(1)
        .setEventTime(Instant.ofEpochMilli(time)).build();
    input.pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), serde.encode(event), Instant.ofEpochMilli(time)));
  }
}
