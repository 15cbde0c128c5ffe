package dev.tally.query;

import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardKeys;
import dev.tally.topology.CounterTopology;
import dev.tally.topology.PnCounter;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TallyConfig.HoppingWindow;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Tier;
import dev.tally.topology.UniqueSketches;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Answers counter reads: which shard keys a counter has, which stores and windows hold the answer, and how
 * shards, buckets and sketches merge. Every store read goes through the {@link Router}, so any instance
 * answers for any counter. Knows nothing of HTTP.
 */
public final class CounterQueries {

  /** At most this many windows in one windows response. */
  public static final int MAX_WINDOWS = 10_000;
  /**
   * At most this many count buckets (shard keys times buckets) in one read: about 100 bytes each while
   * a read holds them, so 100 MB at worst.
   */
  public static final long MAX_COUNT_BUCKETS = 1_000_000;
  /**
   * At most this many sketches (shard keys times buckets, or shard keys of an all-time union) in one
   * read: up to about 10 KB each at lgK 14 while a read holds them, so 50 MB at worst.
   */
  public static final long MAX_SKETCHES = 5_000;
  /** How old a cached total of a sharded counter may be. */
  public static final Duration CACHE_TTL = Duration.ofSeconds(1);
  private static final int DEFAULT_WINDOW_COUNT = 60;

  private record CachedTotal(CounterTotal total, long readAtNanos) {}

  private final KafkaStreams streams;
  private final Router router;
  private final TallyConfig config;
  private final WindowReader windows;
  private final WindowReader uniqueWindows;
  private final Clock clock;
  private final Duration retryBudget;
  private final int maxUnionCounters;
  private final Map<String, CachedTotal> totalsCache = new ConcurrentHashMap<>();
  /**
   * The global shard-count store's view, kept: asking Kafka Streams for it on every read cost a tenth
   * of a point read. Its reads check the store is open, so a closed one throws, and is asked for again.
   */
  private volatile ReadOnlyKeyValueStore<String, ShardConfig> shardConfigStore;

  /** @param maxUnionCounters at most this many counters in one unique-count union */
  public CounterQueries(KafkaStreams streams, Router router, TallyConfig config, Clock clock, Duration retryBudget,
      int maxUnionCounters) {
    this.streams = streams;
    this.maxUnionCounters = maxUnionCounters;
    this.router = router;
    this.config = config;
    this.windows = config.tiers().isEmpty() ? null : new WindowReader(config.tiers(), MAX_COUNT_BUCKETS);
    this.uniqueWindows = config.uniqueTiers().isEmpty() ? null : new WindowReader(config.uniqueTiers(), MAX_SKETCHES);
    this.clock = clock;
    this.retryBudget = retryBudget;
  }

  /** The shard count of {@code counter}: 1 unless the hot-counter detector or an operator raised it. */
  public int shards(String counter) {
    long deadline = System.nanoTime() + retryBudget.toNanos();
    while (true) {
      try {
        ReadOnlyKeyValueStore<String, ShardConfig> store = shardConfigStore;
        if (store == null) {
          store = streams.store(StoreQueryParameters.fromNameAndType(StoreNames.SHARD_CONFIG,
              QueryableStoreTypes.<String, ShardConfig>keyValueStore()));
          shardConfigStore = store;
        }
        ShardConfig shardConfig = store.get(counter);
        return shardConfig == null ? 1 : shardConfig.getShards();
      } catch (InvalidStateStoreException e) {
        shardConfigStore = null;
        if (System.nanoTime() > deadline) {
          throw new StateUnavailableException("shard counts are not loaded yet: " + e.getMessage(), e);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new StateUnavailableException("interrupted while waiting for shard counts");
        }
      }
    }
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
   * A sharded counter's eventual total may come from a cache up to {@link #CACHE_TTL} old unless
   * {@code fresh}.
   */
  public CounterTotal total(String counter, boolean fresh, ReadContext context) {
    boolean cacheable = !context.strong() && context.after() == null;
    long nowNanos = System.nanoTime();
    CachedTotal cached = fresh || !cacheable ? null : totalsCache.get(counter);
    if (cached != null && nowNanos - cached.readAtNanos() < CACHE_TTL.toNanos()) {
      return cached.total();
    }
    List<StoreRead> reads = shardKeys(counter).stream()
        .map(key -> StoreRead.value(StoreNames.COUNTER_TOTALS, key)).toList();
    List<PnCounter> shardValues = router.fetch(reads, context).values().stream()
        .map(Fetched::value).filter(Objects::nonNull).map(PnCounter.class::cast).toList();
    CounterTotal total = CounterTotal.of(counter, shardValues, reads.size());
    if (reads.size() > 1 && cacheable) {
      totalsCache.put(counter, new CachedTotal(total, nowNanos));
    }
    return total;
  }

  /** The count in the trailing {@code window}, up to the end of the current second. */
  public TrailingCount last(String counter, Duration window, ReadContext context) {
    requireWindows(windows);
    // The retention first: a duration beyond it may not even fit in milliseconds.
    if (window.compareTo(windows.longestRetention()) > 0) {
      throw new BadRequestException("window " + window + " is longer than the longest retention, "
          + windows.longestRetention());
    }
    if (window.isNegative() || window.isZero() || window.toMillis() % 1000 != 0) {
      throw new BadRequestException("window must be a positive whole number of seconds, got " + window);
    }
    long now = clock.millis();
    long to = WindowReader.ceil(now + 1, windows.finest().toMillis());
    WindowReader.Span<Long> span = windows.counts(shardKeys(counter),
        List.of(new long[] {to - window.toMillis(), to}), now, buckets(context)).get(0);
    return new TrailingCount(counter, span.value(), span.from(), span.to(), span.granularity());
  }

  /**
   * Windows of {@code size} starting in [from, to): every {@code advance} for a configured hopping window,
   * or the buckets of the tier of that size when {@code advance} is null. Null ends default to now and to
   * 60 windows before it.
   */
  public WindowSeries windows(String counter, Duration size, Duration advance, Instant from, Instant to,
      ReadContext context) {
    requireWindows(windows);
    long step;
    Tier tier = null;
    if (advance == null) {
      tier = config.tier(size).orElseThrow(() -> new BadRequestException("no tier of size " + size
          + "; tiers: " + config.tiers().stream().map(Tier::size).toList()
          + " (or give advance for a hopping window)"));
      step = tier.sizeMs();
    } else {
      if (advance.isNegative() || advance.isZero() || advance.compareTo(size) > 0) {
        throw new BadRequestException("advance must be positive and at most size, got " + advance);
      }
      if (!config.hoppingWindows().contains(new HoppingWindow(size, advance))) {
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
    if (tier != null && firstStart < now - tier.retention().toMillis()) {
      throw new BadRequestException("from " + Instant.ofEpochMilli(firstStart) + " is past the "
          + tier.retention() + " retention of the " + size + " buckets");
    }
    long count = firstStart >= end ? 0 : (end - 1 - firstStart) / step + 1;
    if (count > MAX_WINDOWS) {
      throw new BadRequestException("the range holds " + count + " windows; at most " + MAX_WINDOWS
          + " are returned at once");
    }
    List<long[]> intervals = new ArrayList<>();
    for (long s = firstStart; s < end; s += step) {
      intervals.add(new long[] {s, s + size.toMillis()});
    }
    // Near the start of a tier's retention a window would be rounded out to coarser buckets: a series
    // of the same widened window, not the windows asked for.
    for (int i = intervals.size() - 1; i >= 0; i--) {
      if (!windows.exact(intervals.get(i)[0], intervals.get(i)[1], now)) {
        throw new BadRequestException("windows of " + size + " starting before "
            + Instant.ofEpochMilli(i + 1 < intervals.size() ? intervals.get(i + 1)[0] : end)
            + " can no longer be read exactly: their finer buckets have passed their retention; start later, "
            + "or read coarser windows");
      }
    }
    List<WindowSeries.Window> result = new ArrayList<>();
    Duration granularity = windows.finest();
    for (WindowReader.Span<Long> span : windows.counts(shardKeys(counter), intervals, now, buckets(context))) {
      result.add(new WindowSeries.Window(span.from(), span.to(), span.value()));
      granularity = span.granularity().compareTo(granularity) > 0 ? span.granularity() : granularity;
    }
    return new WindowSeries(counter, size, advance, granularity, result);
  }

  /**
   * Events per second of {@code counter}, all shards together, over the trailing minute: the net count
   * of its 1-second buckets, as {@code last?window=PT1M} reads it.
   */
  public CounterRate rate(String counter, ReadContext context) {
    TrailingCount minute = last(counter, CounterTopology.RATE_WINDOW, context);
    return CounterRate.of(counter, minute.count(), minute.from(), minute.to());
  }

  /**
   * Distinct items of {@code counters} together: all time when {@code from} and {@code to} are null,
   * else the union of the hour and day sketches covering [from, to) (rounded outwards to whole hours,
   * or days past the hourly retention).
   *
   * @param confidence standard deviations of the bounds: 1, 2 or 3
   */
  public UniqueCount uniques(List<String> counters, Instant from, Instant to, int confidence, ReadContext context) {
    if (confidence < 1 || confidence > 3) {
      throw new BadRequestException("confidence must be 1, 2 or 3 standard deviations, got " + confidence);
    }
    if (counters.isEmpty() || counters.size() > maxUnionCounters) {
      throw new BadRequestException("give 1 to " + maxUnionCounters + " counters, got " + counters.size());
    }
    List<String> keys = counters.stream().flatMap(counter -> shardKeys(counter).stream()).toList();
    if (from == null && to == null) {
      if (keys.size() > MAX_SKETCHES) {
        throw new BadRequestException("this union covers " + keys.size() + " shard keys; at most " + MAX_SKETCHES
            + " sketches are read at once: ask for fewer counters");
      }
      List<StoreRead> reads = keys.stream().map(key -> StoreRead.value(StoreNames.UNIQUES_ALL, key)).toList();
      HllSketch sketch = router.fetch(reads, context).values().stream()
          .map(Fetched::value).filter(Objects::nonNull).map(HllSketch.class::cast)
          .collect(UniqueSketches.unionOf(config.hllLgK()));
      return estimate(counters, sketch, confidence, null, null, null);
    }
    requireWindows(uniqueWindows);
    long now = clock.millis();
    long end = to == null ? now + 1 : to.toEpochMilli();
    if (from == null || from.toEpochMilli() > end) {
      throw new BadRequestException("a unique-count range needs from, at or before to");
    }
    WindowReader.Span<HllSketch> span = uniqueWindows.read(keys, List.of(new long[] {from.toEpochMilli(), end}),
        now, buckets(context), UniqueSketches.unionOf(config.hllLgK())).get(0);
    return estimate(counters, span.value(), confidence, span.from(), span.to(), span.granularity());
  }

  /** Distinct items of {@code counter} in the trailing {@code window}, rounded outwards to whole buckets. */
  public UniqueCount uniques(String counter, Duration window, int confidence, ReadContext context) {
    requireWindows(uniqueWindows);
    if (window.isNegative() || window.isZero() || window.compareTo(uniqueWindows.longestRetention()) > 0) {
      throw new BadRequestException("window must be positive and at most " + uniqueWindows.longestRetention()
          + ", got " + window);
    }
    long now = clock.millis();
    return uniques(List.of(counter), Instant.ofEpochMilli(now + 1 - window.toMillis()), Instant.ofEpochMilli(now + 1),
        confidence, context);
  }

  private static void requireWindows(WindowReader reader) {
    if (reader == null) {
      throw new BadRequestException("time windows are off in this configuration");
    }
  }

  private static UniqueCount estimate(List<String> counters, HllSketch sketch, int confidence, Instant from,
      Instant to, Duration granularity) {
    return new UniqueCount(counters, Math.round(sketch.getEstimate()),
        (long) Math.floor(sketch.getLowerBound(confidence)), (long) Math.ceil(sketch.getUpperBound(confidence)),
        confidence, from, to, granularity);
  }

  /** Bucket ranges read through the router, all of one answer in one batch. */
  @SuppressWarnings("unchecked")
  private <V> WindowReader.BucketSource<V> buckets(ReadContext context) {
    return ranges -> {
      Map<StoreRead, WindowReader.BucketRange> byRead = new HashMap<>();
      ranges.forEach(range -> byRead.put(
          StoreRead.windows(range.tier().store(), range.key(), range.fromStart(), range.toStart()), range));
      Map<WindowReader.BucketRange, NavigableMap<Long, V>> result = new HashMap<>();
      router.fetch(List.copyOf(byRead.keySet()), context).forEach((read, fetched) ->
          result.put(byRead.get(read), (NavigableMap<Long, V>) (NavigableMap<Long, ?>) new TreeMap<>(fetched.windows())));
      return result;
    };
  }
}
