package dev.tally.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Tier;
import dev.tally.topology.UniqueSketches;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** Unique counts merged over shard keys and hour/day windows, against the exact distinct count. */
class UniquesReadTest {

  private static final TallyConfig CONFIG = TallyConfig.defaults();
  private static final List<String> SHARDS = List.of("a", "a#1", "a#3");

  @Test
  void unionOverShardsAndWindowsMatchesTheDistinctItems() {
    try (TopologyTestDriver driver = TestDrivers.of(CONFIG, "uniques-read-test")) {
      TestInputTopic<byte[], byte[]> input = driver.createInputTopic(
          TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
      IncrementEventSerde serde = new IncrementEventSerde();
      Random random = new Random(17);
      long start = Instant.parse("2026-11-26T00:00:00Z").toEpochMilli();
      List<Object[]> events = new ArrayList<>(); // {eventTime, item}
      long t = start;
      for (int i = 0; i < 60_000; i++) {
        t += random.nextInt(8_000);
        String item = "visitor-" + random.nextInt(20_000);
        events.add(new Object[] {t, item});
        IncrementEvent event = IncrementEvent.newBuilder().setCounter("a").setDelta(1).setItem(item)
            .setEventTime(Instant.ofEpochMilli(t)).build();
        String shard = SHARDS.get(random.nextInt(SHARDS.size()));
        input.pipeInput(new TestRecord<>(shard.getBytes(StandardCharsets.UTF_8), serde.encode(event),
            Instant.ofEpochMilli(t)));
      }
      long now = t + 1;

      StateStore all = driver.getStateStore(StoreNames.UNIQUES_ALL);
      HllSketch allTime = SHARDS.stream()
          .map(shard -> all.query(KeyQuery.<String, HllSketch>withKey(shard), PositionBound.unbounded(),
              new QueryConfig(false)).getResult())
          .collect(UniqueSketches.unionOf(CONFIG.hllLgK()));
      assertWithinBounds(allTime, distinct(events, Long.MIN_VALUE, Long.MAX_VALUE));

      WindowReader reader = new WindowReader(CONFIG.uniqueTiers(), CounterQueries.MAX_SKETCHES);
      WindowReader.BucketSource<HllSketch> source = WindowReader.BucketSource.eachRange(
          r -> buckets(driver, r.key(), r.tier(), r.fromStart(), r.toStart()));
      for (Duration window : List.of(Duration.ofHours(1), Duration.ofHours(5), Duration.ofDays(1),
          Duration.ofDays(3), Duration.ofDays(5))) {
        WindowReader.Span<HllSketch> span = reader.read(SHARDS, List.of(new long[] {now - window.toMillis(), now}),
            now, source, UniqueSketches.unionOf(CONFIG.hllLgK())).get(0);
        assertThat(Duration.between(span.from(), span.to())).isGreaterThanOrEqualTo(window);
        assertWithinBounds(span.value(), distinct(events, span.from().toEpochMilli(), span.to().toEpochMilli()));
      }
    }
  }

  private static void assertWithinBounds(HllSketch sketch, int distinct) {
    assertThat((double) distinct).as("estimate %.1f", sketch.getEstimate())
        .isBetween(sketch.getLowerBound(3), sketch.getUpperBound(3));
  }

  private static int distinct(List<Object[]> events, long from, long to) {
    Set<String> items = new HashSet<>();
    for (Object[] event : events) {
      long time = (Long) event[0];
      if (time >= from && time < to) {
        items.add((String) event[1]);
      }
    }
    return items.size();
  }

  private static NavigableMap<Long, HllSketch> buckets(TopologyTestDriver driver, String key, Tier tier,
      long from, long last) {
    // Through the store's interactive query: closed buckets, buffered ones and the open one.
    NavigableMap<Long, HllSketch> result = new TreeMap<>();
    try (WindowStoreIterator<HllSketch> iterator = driver.getStateStore(tier.store()).query(
        WindowKeyQuery.<String, HllSketch>withKeyAndWindowStartRange(key, Instant.ofEpochMilli(from),
            Instant.ofEpochMilli(last)), PositionBound.unbounded(), new QueryConfig(false)).getResult()) {
      while (iterator.hasNext()) {
        KeyValue<Long, HllSketch> bucket = iterator.next();
        result.put(bucket.key, bucket.value);
      }
    }
    return result;
  }
}
