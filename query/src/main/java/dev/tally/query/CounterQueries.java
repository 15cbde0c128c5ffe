package dev.tally.query;

import dev.tally.topology.CounterTopology;
import dev.tally.schemas.ShardConfig;
import dev.tally.topology.PnCounter;
import dev.tally.topology.ShardKeys;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.TallyConfig.HoppingWindow;
import dev.tally.topology.Tier;
import dev.tally.topology.UniqueSketches;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collector;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.query.FailureReason;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Reads counters from this instance's state stores through IQv2. While state is moving (startup,
 * rebalance) it retries within a bounded budget, then throws {@link StateUnavailableException}: never a
 * silent zero. Reading from other instances is the router's job and arrives with it.
 */
public final class CounterQueries {

  /** At most this many windows in one windows response. */
  public static final int MAX_WINDOWS = 10_000;
  private static final Duration BACKOFF = Duration.ofMillis(50);
  private static final int DEFAULT_WINDOW_COUNT = 60;

  private final KafkaStreams streams;
  private final TallyConfig config;
  private final WindowReader windows;
  private final WindowReader uniqueWindows;
  private final Clock clock;
  private final Duration retryBudget;
  private final Map<String, CachedTotal> totalsCache = new ConcurrentHashMap<>();
  /** How old a cached total of a sharded counter may be. */
  public static final Duration CACHE_TTL = Duration.ofSeconds(1);

  public CounterQueries(KafkaStreams streams, TallyConfig config, Clock clock, Duration retryBudget) {
    this.streams = streams;
    this.config = config;
    this.windows = new WindowReader(config.tiers());
    this.uniqueWindows = new WindowReader(config.uniqueTiers());
    this.clock = clock;
    this.retryBudget = retryBudget;
  }

  /** The shard count of {@code counter}: 1 unless the hot-counter detector or an operator raised it. */
  public int shards(String counter) {
    return withRetries(() -> {
      ShardConfig config = streams.store(StoreQueryParameters.fromNameAndType(StoreNames.SHARD_CONFIG,
          QueryableStoreTypes.<String, ShardConfig>keyValueStore())).get(counter);
      return config == null ? 1 : config.getShards();
    });
  }

  /** Every shard key {@code counter} has ever had: reads cover all of them. */
  private List<String> shardKeys(String counter) {
    int shards = shards(counter);
    List<String> keys = new ArrayList<>(shards);
    for (int shard = 0; shard < shards; shard++) {
      keys.add(ShardKeys.of(counter, shard));
    }
    return keys;
  }

  /**
   * The all-time total of {@code counter}, summed over its shards; a counter that never moved is zero.
   * A sharded counter's sum may come from a cache up to {@link #CACHE_TTL} old unless {@code fresh}.
   */
  public CounterTotal total(String counter, boolean fresh) {
    long nowNanos = System.nanoTime();
    CachedTotal cached = fresh ? null : totalsCache.get(counter);
    if (cached != null && nowNanos - cached.readAtNanos() < CACHE_TTL.toNanos()) {
      return cached.total();
    }
    List<String> keys = shardKeys(counter);
    PnCounter sum = PnCounter.ZERO;
    for (String key : keys) {
      PnCounter value = withRetries(() -> read(StoreNames.COUNTER_TOTALS, key, KeyQuery.<String, PnCounter>withKey(key)));
      sum = value == null ? sum : sum.plus(value);
    }
    CounterTotal total = CounterTotal.of(counter, sum, keys.size());
    if (keys.size() > 1) {
      totalsCache.put(counter, new CachedTotal(total, nowNanos));
    }
    return total;
  }

  private record CachedTotal(CounterTotal total, long readAtNanos) {}

  /** The count in the trailing {@code window}, up to the end of the current second. */
  public TrailingCount last(String counter, Duration window) {
    if (window.isNegative() || window.isZero() || window.toMillis() % 1000 != 0) {
      throw new BadRequestException("window must be a positive whole number of seconds, got " + window);
    }
    if (window.compareTo(windows.longestRetention()) > 0) {
      throw new BadRequestException("window " + window + " is longer than the longest retention, "
          + windows.longestRetention());
    }
    long now = clock.millis();
    long to = WindowReader.ceil(now + 1, config.tiers().get(0).sizeMs());
    WindowReader.Span<Long> span = spans(counter, List.of(new long[] {to - window.toMillis(), to}), now).get(0);
    return new TrailingCount(counter, span.value(), span.from(), span.to(), span.granularity());
  }

  /**
   * Windows of {@code size} starting in [from, to): every {@code advance} for a configured hopping window,
   * or the buckets of the tier of that size when {@code advance} is null. Null ends default to now and to
   * 60 windows before it.
   */
  public WindowSeries windows(String counter, Duration size, Duration advance, Instant from, Instant to) {
    long step;
    if (advance == null) {
      Tier tier = config.tier(size).orElseThrow(() -> new BadRequestException("no tier of size " + size
          + "; tiers: " + config.tiers().stream().map(Tier::size).toList()
          + " (or give advance for a hopping window)"));
      step = tier.sizeMs();
    } else {
      if (advance.isNegative() || advance.isZero() || advance.compareTo(size) > 0) {
        throw new BadRequestException("advance must be positive and at most size, got " + advance);
      }
      HoppingWindow hopping = new HoppingWindow(size, advance);
      if (!config.hoppingWindows().contains(hopping)) {
        throw new BadRequestException("no hopping window of size " + size + " advancing " + advance
            + "; configured: " + config.hoppingWindows());
      }
      step = advance.toMillis();
    }
    long now = clock.millis();
    long end = to == null ? now : to.toEpochMilli();
    long start = from == null ? end - DEFAULT_WINDOW_COUNT * step : from.toEpochMilli();
    if (start > end) {
      throw new BadRequestException("from " + Instant.ofEpochMilli(start) + " is after to " + Instant.ofEpochMilli(end));
    }
    long firstStart = WindowReader.ceil(start, step);
    long count = firstStart >= end ? 0 : (end - 1 - firstStart) / step + 1;
    if (advance == null) {
      Tier tier = config.tier(size).orElseThrow();
      if (firstStart < now - tier.retention().toMillis()) {
        throw new BadRequestException("from " + Instant.ofEpochMilli(firstStart) + " is past the "
            + tier.retention() + " retention of the " + size + " buckets");
      }
    }
    if (count > MAX_WINDOWS) {
      throw new BadRequestException("the range holds " + count + " windows; at most " + MAX_WINDOWS
          + " are returned at once");
    }
    List<long[]> intervals = new ArrayList<>();
    for (long s = firstStart; s < end; s += step) {
      intervals.add(new long[] {s, s + size.toMillis()});
    }
    List<WindowSeries.Window> result = new ArrayList<>();
    Duration granularity = config.tiers().get(0).size();
    for (WindowReader.Span<Long> span : spans(counter, intervals, now)) {
      result.add(new WindowSeries.Window(span.from(), span.to(), span.value()));
      granularity = span.granularity().compareTo(granularity) > 0 ? span.granularity() : granularity;
    }
    return new WindowSeries(counter, size, advance, granularity, result);
  }

  /**
   * Events per second of {@code counter}, all shards together, over the latest minute of activity ticks
   * (a Kafka sliding window). Zero when the counter had no event in the last minute.
   */
  public CounterRate rate(String counter) {
    long window = CounterTopology.RATE_WINDOW.toMillis();
    long now = clock.millis();
    KeyValue<Long, Long> latest = withRetries(() -> {
      KeyValue<Long, Long> newest = null;
      // The DSL materializes a timestamped window store: IQv2 hands back ValueAndTimestamp.
      try (WindowStoreIterator<ValueAndTimestamp<Long>> iterator = read(StoreNames.RATE_1M, counter,
          WindowKeyQuery.<String, ValueAndTimestamp<Long>>withKeyAndWindowStartRange(
              counter, Instant.ofEpochMilli(now - 2 * window), Instant.ofEpochMilli(now)))) {
        while (iterator.hasNext()) {
          KeyValue<Long, ValueAndTimestamp<Long>> next = iterator.next();
          if (next.key + window <= now && (newest == null || next.key > newest.key)) {
            newest = KeyValue.pair(next.key, next.value.value());
          }
        }
      }
      return newest;
    });
    if (latest == null || latest.key + window < now - window) {
      return new CounterRate(counter, CounterTopology.RATE_WINDOW, 0, 0.0, null, null);
    }
    return new CounterRate(counter, CounterTopology.RATE_WINDOW, latest.value,
        latest.value * 1000.0 / window, Instant.ofEpochMilli(latest.key), Instant.ofEpochMilli(latest.key + window));
  }

  /** At most this many counters in one unique-count union. */
  public static final int MAX_UNION_COUNTERS = 1_000;

  /**
   * Distinct items of {@code counters} together: all time when {@code from} and {@code to} are null,
   * else the union of the hour and day sketches covering [from, to) (rounded outwards to whole hours,
   * or days past the hourly retention).
   *
   * @param confidence standard deviations of the bounds: 1, 2 or 3
   */
  public UniqueCount uniques(List<String> counters, Instant from, Instant to, int confidence) {
    if (confidence < 1 || confidence > 3) {
      throw new BadRequestException("confidence must be 1, 2 or 3 standard deviations, got " + confidence);
    }
    if (counters.isEmpty() || counters.size() > MAX_UNION_COUNTERS) {
      throw new BadRequestException("give 1 to " + MAX_UNION_COUNTERS + " counters, got " + counters.size());
    }
    Collector<HllSketch, Union, HllSketch> union = UniqueSketches.unionOf(config.hllLgK());
    if (from == null && to == null) {
      List<String> keys = counters.stream().flatMap(counter -> shardKeys(counter).stream()).toList();
      HllSketch sketch = withRetries(() -> keys.stream()
          .map(key -> read(StoreNames.UNIQUES_ALL, key, KeyQuery.<String, HllSketch>withKey(key)))
          .filter(java.util.Objects::nonNull)
          .collect(union));
      return estimate(counters, sketch, confidence, null, null, null);
    }
    long now = clock.millis();
    long end = to == null ? now + 1 : to.toEpochMilli();
    if (from == null || from.toEpochMilli() > end) {
      throw new BadRequestException("a unique-count range needs from, at or before to");
    }
    List<String> keys = counters.stream().flatMap(counter -> shardKeys(counter).stream()).toList();
    WindowReader.Span<HllSketch> span = withRetries(() -> uniqueWindows.read(keys,
        List.of(new long[] {from.toEpochMilli(), end}), now, this::readBuckets, union)).get(0);
    return estimate(counters, span.value(), confidence, span.from(), span.to(), span.granularity());
  }

  /** Distinct items of {@code counter} in the trailing {@code window}, rounded outwards to whole buckets. */
  public UniqueCount uniques(String counter, Duration window, int confidence) {
    if (window.isNegative() || window.isZero() || window.compareTo(uniqueWindows.longestRetention()) > 0) {
      throw new BadRequestException("window must be positive and at most " + uniqueWindows.longestRetention()
          + ", got " + window);
    }
    long now = clock.millis();
    return uniques(List.of(counter), Instant.ofEpochMilli(now + 1 - window.toMillis()), Instant.ofEpochMilli(now + 1),
        confidence);
  }

  private static UniqueCount estimate(List<String> counters, HllSketch sketch, int confidence, Instant from,
      Instant to, Duration granularity) {
    return new UniqueCount(counters, Math.round(sketch.getEstimate()),
        (long) Math.floor(sketch.getLowerBound(confidence)), (long) Math.ceil(sketch.getUpperBound(confidence)),
        confidence, from, to, granularity);
  }

  private List<WindowReader.Span<Long>> spans(String counter, List<long[]> intervals, long now) {
    List<String> keys = shardKeys(counter);
    return withRetries(() -> windows.counts(keys, intervals, now, this::readBuckets));
  }

  private <V> NavigableMap<Long, V> readBuckets(String key, Tier tier, long fromStart, long toStart) {
    NavigableMap<Long, V> buckets = new TreeMap<>();
    try (WindowStoreIterator<V> iterator = read(tier.store(), key,
        WindowKeyQuery.<String, V>withKeyAndWindowStartRange(
            key, Instant.ofEpochMilli(fromStart), Instant.ofEpochMilli(toStart)))) {
      while (iterator.hasNext()) {
        KeyValue<Long, V> bucket = iterator.next();
        buckets.put(bucket.key, bucket.value);
      }
    }
    return buckets;
  }

  /** Runs {@code query} for {@code key} against the active copy of its partition on this instance. */
  private <R> R read(String store, String key, Query<R> query) {
    KeyQueryMetadata metadata = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
    if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
      throw new StateUnavailableException("no instance owns '" + key + "' in " + store + " yet");
    }
    int partition = metadata.partition();
    QueryResult<R> result = streams.query(StateQueryRequest.inStore(store)
            .withQuery(query).withPartitions(Set.of(partition)).requireActive())
        .getPartitionResults().get(partition);
    if (result == null) {
      throw new StateUnavailableException("partition " + partition + " of " + store + " is not on this instance");
    }
    if (result.isFailure()) {
      FailureReason reason = result.getFailureReason();
      if (reason == FailureReason.NOT_ACTIVE || reason == FailureReason.NOT_PRESENT
          || reason == FailureReason.NOT_UP_TO_BOUND) {
        throw new StateUnavailableException(reason + ": " + result.getFailureMessage());
      }
      throw new IllegalStateException("reading " + store + " failed: " + reason + ": " + result.getFailureMessage());
    }
    return result.getResult();
  }

  private <T> T withRetries(Supplier<T> read) {
    long deadline = System.nanoTime() + retryBudget.toNanos();
    while (true) {
      try {
        return read.get();
      } catch (StateUnavailableException | InvalidStateStoreException e) {
        if (System.nanoTime() + BACKOFF.toNanos() > deadline) {
          throw e instanceof StateUnavailableException unavailable ? unavailable
              : new StateUnavailableException("state store not queryable: " + e.getMessage(), e);
        }
        sleep();
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(BACKOFF.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateUnavailableException("interrupted while waiting for state");
    }
  }
}
