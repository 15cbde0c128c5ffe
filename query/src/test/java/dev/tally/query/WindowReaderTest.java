package dev.tally.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.topology.PnCounter;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Tier;
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
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trailing and hopping reads over the buckets the real topology wrote (through TopologyTestDriver), each
 * compared with a brute-force count of the same events over the interval the read says it covered.
 */
class WindowReaderTest {

  private static final TallyConfig CONFIG = TallyConfig.defaults();
  private static final Instant START = Instant.parse("2026-11-20T00:00:00Z");
  private static final Duration SPREAD = Duration.ofDays(9);

  private static TopologyTestDriver driver;
  private static final List<long[]> events = new ArrayList<>(); // {eventTime, delta}
  private static long now;

  @BeforeAll
  static void countEvents() {
    driver = TestDrivers.of(CONFIG, "window-reader-test");
    TestInputTopic<byte[], byte[]> input =
        driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    IncrementEventSerde serde = new IncrementEventSerde();
    Random random = new Random(7);
    long t = START.toEpochMilli();
    long end = START.plus(SPREAD).toEpochMilli();
    while (t < end) {
      // Denser near the end, where the fine tiers are read; a little disorder, always within grace.
      long gap = t < end - Duration.ofHours(3).toMillis() ? random.nextInt(600_000) : random.nextInt(2_000);
      t += gap;
      long eventTime = t - random.nextInt(30_000);
      long delta = random.nextInt(21) - 5;
      events.add(new long[] {eventTime, delta});
      IncrementEvent event = IncrementEvent.newBuilder().setCounter("c").setDelta(delta)
          .setEventTime(Instant.ofEpochMilli(eventTime)).build();
      input.pipeInput(new TestRecord<>("c".getBytes(StandardCharsets.UTF_8), serde.encode(event),
          Instant.ofEpochMilli(t)));
    }
    now = t + 1_234;
  }

  @AfterAll
  static void stop() {
    driver.close();
  }

  @Test
  void trailingReadsEqualABruteForceCount() {
    WindowReader reader = new WindowReader(CONFIG.tiers(), CounterQueries.MAX_COUNT_BUCKETS);
    List<Duration> windows = List.of(Duration.ofSeconds(1), Duration.ofSeconds(59), Duration.ofMinutes(15),
        Duration.ofHours(1), Duration.parse("PT1H59M30S"), Duration.ofHours(3), Duration.ofDays(1),
        Duration.parse("P6DT23H"), Duration.ofDays(8), Duration.ofDays(9));
    long to = WindowReader.ceil(now + 1, 1000);
    for (Duration window : windows) {
      WindowReader.Span<Long> span = reader.counts(List.of("c"), List.of(new long[] {to - window.toMillis(), to}), now,
          WindowReader.BucketSource.eachRange(r -> bucketsOf(r.key(), r.tier(), r.fromStart(), r.toStart()))).get(0);
      assertThat(span.value()).as(window + " " + span).isEqualTo(bruteForce(span.from(), span.to()));
      assertThat(span.to().toEpochMilli()).isEqualTo(to);
      assertThat(span.from().toEpochMilli()).isLessThanOrEqualTo(to - window.toMillis());
    }
  }

  /** Issue 12, item 6: a read names its cap instead of holding every bucket of every key. */
  @Test
  void aReadOverTheBucketCapIsA400ThatNamesIt() {
    WindowReader reader = new WindowReader(CONFIG.tiers(), 1_000);
    long to = WindowReader.ceil(now + 1, 1000);
    List<long[]> quarterHour = List.<long[]>of(new long[] {to - 900_000, to});
    WindowReader.BucketSource<PnCounter> source =
        WindowReader.BucketSource.eachRange(r -> bucketsOf(r.key(), r.tier(), r.fromStart(), r.toStart()));

    assertThat(reader.counts(List.of("c"), quarterHour, now, source).get(0).value())
        .isEqualTo(bruteForce(Instant.ofEpochMilli(to - 900_000), Instant.ofEpochMilli(to)));
    assertThatThrownBy(() -> reader.counts(List.of("c", "c#1"), quarterHour, now, source))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("2 shard key(s) times")
        .hasMessageContaining("at most 1000");
  }

  @Test
  void granularityIsTheFinestTierStillRetainedAtTheStart() {
    WindowReader reader = new WindowReader(CONFIG.tiers(), CounterQueries.MAX_COUNT_BUCKETS);
    long to = WindowReader.ceil(now + 1, 1000);

    assertThat(span(reader, to, Duration.ofMinutes(15)).granularity()).isEqualTo(Duration.ofSeconds(1));
    assertThat(span(reader, to, Duration.ofMinutes(15)).from().toEpochMilli()).isEqualTo(to - 900_000);
    assertThat(span(reader, to, Duration.ofDays(1)).granularity()).isEqualTo(Duration.ofMinutes(1));
    assertThat(span(reader, to, Duration.ofDays(8)).granularity()).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> span(reader, to, Duration.ofDays(401))).isInstanceOf(BadRequestException.class);
  }

  @Test
  void aReadOfADayAndMoreSpansAllThreeTiers() {
    WindowReader reader = new WindowReader(CONFIG.tiers(), CounterQueries.MAX_COUNT_BUCKETS);
    long to = WindowReader.ceil(now + 1, 1000);
    // 17 min off the hour, so that whatever minute `to` falls in, one edge holds whole minutes.
    long window = Duration.parse("P1DT17M23S").toMillis();
    Set<Duration> tiersRead = new HashSet<>();
    WindowReader.Span<Long> span = reader.counts(List.of("c"), List.of(new long[] {to - window, to}), now,
        WindowReader.BucketSource.eachRange(r -> {
          tiersRead.add(r.tier().size());
          return bucketsOf(r.key(), r.tier(), r.fromStart(), r.toStart());
        })).get(0);

    assertThat(tiersRead).containsExactlyInAnyOrder(Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofHours(1));
    assertThat(span.value()).isEqualTo(bruteForce(span.from(), span.to()));
  }

  @Test
  void hoppingWindowsEqualABruteForceCount() {
    WindowReader reader = new WindowReader(CONFIG.tiers(), CounterQueries.MAX_COUNT_BUCKETS);
    long size = Duration.ofHours(1).toMillis();
    long advance = Duration.ofMinutes(5).toMillis();
    List<long[]> intervals = new ArrayList<>();
    for (long s = WindowReader.ceil(now - Duration.ofHours(30).toMillis(), advance); s < now; s += advance) {
      intervals.add(new long[] {s, s + size});
    }
    List<WindowReader.Span<Long>> spans = reader.counts(List.of("c"), intervals, now, WindowReader.BucketSource.eachRange(r -> bucketsOf(r.key(), r.tier(), r.fromStart(), r.toStart())));

    assertThat(spans).hasSize(intervals.size());
    for (int i = 0; i < spans.size(); i++) {
      WindowReader.Span<Long> span = spans.get(i);
      assertThat(span.from().toEpochMilli()).isEqualTo(intervals.get(i)[0]);
      assertThat(span.to().toEpochMilli()).isEqualTo(intervals.get(i)[1]);
      assertThat(span.value()).as(span.toString()).isEqualTo(bruteForce(span.from(), span.to()));
    }
  }

  private static WindowReader.Span<Long> span(WindowReader reader, long to, Duration window) {
    return reader.counts(List.of("c"), List.of(new long[] {to - window.toMillis(), to}), now,
        WindowReader.BucketSource.eachRange(r -> bucketsOf(r.key(), r.tier(), r.fromStart(), r.toStart()))).get(0);
  }

  private static NavigableMap<Long, PnCounter> bucketsOf(String key, Tier tier, long from, long last) {
    // Through the store's interactive query: closed buckets, buffered ones and the open one.
    NavigableMap<Long, PnCounter> result = new TreeMap<>();
    try (WindowStoreIterator<PnCounter> iterator = driver.getStateStore(tier.store()).query(
        WindowKeyQuery.<String, PnCounter>withKeyAndWindowStartRange(key, Instant.ofEpochMilli(from),
            Instant.ofEpochMilli(last)), PositionBound.unbounded(), new QueryConfig(false)).getResult()) {
      while (iterator.hasNext()) {
        KeyValue<Long, PnCounter> bucket = iterator.next();
        result.put(bucket.key, bucket.value);
      }
    }
    return result;
  }

  private static long bruteForce(Instant from, Instant to) {
    return events.stream()
        .filter(e -> e[0] >= from.toEpochMilli() && e[0] < to.toEpochMilli())
        .mapToLong(e -> e[1]).sum();
  }
}
