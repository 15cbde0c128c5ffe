package dev.tally.query;

import dev.tally.topology.PnCounter;
import dev.tally.topology.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collector;
import java.util.stream.Collectors;

/**
 * Answers time-range questions from tiered buckets: the count in any interval is the sum of the coarsest
 * buckets that fit inside it plus finer buckets at its edges. An interval's ends are exact to the finest
 * tier still retained there, and rounded outwards to the next retained tier's boundary beyond that; each
 * answer says which interval it covered and at what granularity. Pure: buckets come from a
 * {@link BucketSource}, the time from the caller.
 */
public final class WindowReader {

  /** The buckets of one shard key in one tier with start in [fromStart, toStart]. */
  public record BucketRange(String key, Tier tier, long fromStart, long toStart) {}

  /** Reads buckets, all ranges of one answer at once, so that a router can batch them by owner. */
  public interface BucketSource<V> {
    /** For each range, its buckets by start; missing buckets are empty. */
    Map<BucketRange, NavigableMap<Long, V>> buckets(List<BucketRange> ranges);

    /** A source that reads one range at a time. */
    static <V> BucketSource<V> eachRange(Function<BucketRange, NavigableMap<Long, V>> read) {
      return ranges -> {
        Map<BucketRange, NavigableMap<Long, V>> result = new HashMap<>();
        ranges.forEach(range -> result.put(range, read.apply(range)));
        return result;
      };
    }
  }

  /** The buckets of [from, to) combined into {@code value}, with the granularity its ends were rounded to. */
  public record Span<R>(Instant from, Instant to, Duration granularity, R value) {}

  private record Piece(Tier tier, long from, long to) {}

  private final List<Tier> tiers;
  private final long maxBuckets;

  /**
   * @param tiers finest first, each size a multiple of the finer one's
   * @param maxBuckets the most buckets (shard keys times buckets of each) one read may fetch; past it
   *     a read is a 400 that names the cap, so no request holds more than that in memory
   */
  public WindowReader(List<Tier> tiers, long maxBuckets) {
    this.tiers = List.copyOf(tiers);
    this.maxBuckets = maxBuckets;
  }

  public Duration longestRetention() {
    return tiers.get(tiers.size() - 1).retention();
  }

  public Duration finest() {
    return tiers.get(0).size();
  }

  /** The net counts in each of {@code intervals} ([from, to) in epoch ms) of the shard keys together. */
  public List<Span<Long>> counts(List<String> keys, List<long[]> intervals, long now,
      BucketSource<PnCounter> source) {
    return read(keys, intervals, now, source,
        Collectors.collectingAndThen(Collectors.reducing(PnCounter.ZERO, PnCounter::plus), PnCounter::total));
  }

  /**
   * Each of {@code intervals} ([from, to) in epoch ms), rounded outwards to the retained tiers, as the
   * buckets of all shard keys that cover it, gathered by {@code collector}.
   */
  public <V, R> List<Span<R>> read(List<String> keys, List<long[]> intervals, long now,
      BucketSource<V> source, Collector<V, ?, R> collector) {
    List<Span<List<Piece>>> plans = new ArrayList<>();
    for (long[] interval : intervals) {
      Tier fromTier = retainedTier(interval[0], now);
      Tier toTier = retainedTier(interval[1], now);
      long from = floor(interval[0], fromTier.sizeMs());
      long to = ceil(interval[1], toTier.sizeMs());
      List<Piece> pieces = new ArrayList<>();
      decompose(from, to, tiers.size() - 1, pieces);
      Duration granularity = fromTier.size().compareTo(toTier.size()) >= 0 ? fromTier.size() : toTier.size();
      plans.add(new Span<>(Instant.ofEpochMilli(from), Instant.ofEpochMilli(to), granularity, pieces));
    }

    // One read per tier and key, over the union of that tier's pieces.
    Map<Tier, long[]> ranges = new HashMap<>();
    plans.stream().flatMap(plan -> plan.value().stream()).forEach(p -> ranges.merge(p.tier(),
        new long[] {p.from(), p.to()}, (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])}));
    long bucketsPerKey = ranges.entrySet().stream()
        .mapToLong(range -> (range.getValue()[1] - range.getValue()[0]) / range.getKey().sizeMs()).sum();
    if (bucketsPerKey * keys.size() > maxBuckets) {
      throw new BadRequestException("this read covers " + keys.size() + " shard key(s) times " + bucketsPerKey
          + " buckets; at most " + maxBuckets + " buckets are read at once: ask for fewer counters or a shorter range");
    }
    List<BucketRange> requests = new ArrayList<>();
    ranges.forEach((tier, range) -> keys.forEach(key ->
        requests.add(new BucketRange(key, tier, range[0], range[1] - tier.sizeMs()))));
    Map<BucketRange, NavigableMap<Long, V>> fetched = source.buckets(requests);
    Map<Tier, List<NavigableMap<Long, V>>> buckets = new HashMap<>();
    requests.forEach(request -> buckets.computeIfAbsent(request.tier(), tier -> new ArrayList<>())
        .add(fetched.getOrDefault(request, new TreeMap<>())));

    List<Span<R>> result = new ArrayList<>();
    for (Span<List<Piece>> plan : plans) {
      R value = plan.value().stream()
          .flatMap(piece -> buckets.get(piece.tier()).stream()
              .flatMap(keyBuckets -> keyBuckets.subMap(piece.from(), true, piece.to(), false).values().stream()))
          .collect(collector);
      result.add(new Span<>(plan.from(), plan.to(), plan.granularity(), value));
    }
    return result;
  }

  /** Whether [from, to) reads as asked: both ends on a boundary of the finest tier still held there. */
  public boolean exact(long from, long to, long now) {
    return floor(from, retainedTier(from, now).sizeMs()) == from && ceil(to, retainedTier(to, now).sizeMs()) == to;
  }

  /**
   * The finest tier that still holds buckets at {@code at}. A margin of one bucket of the next coarser
   * tier keeps the edge pieces next to {@code at} inside the retention too.
   */
  Tier retainedTier(long at, long now) {
    for (int i = 0; i < tiers.size(); i++) {
      long margin = i + 1 < tiers.size() ? tiers.get(i + 1).sizeMs() : 0;
      if (at >= now - tiers.get(i).retention().toMillis() + margin) {
        return tiers.get(i);
      }
    }
    throw new BadRequestException(Instant.ofEpochMilli(at) + " is older than the longest retention, "
        + longestRetention());
  }

  /** Covers [from, to) with the coarsest whole buckets that fit, recursing into the edges with finer ones. */
  private void decompose(long from, long to, int tierIndex, List<Piece> pieces) {
    if (from >= to) {
      return;
    }
    for (int i = tierIndex; i >= 0; i--) {
      Tier tier = tiers.get(i);
      long lo = ceil(from, tier.sizeMs());
      long hi = floor(to, tier.sizeMs());
      if (lo < hi) {
        pieces.add(new Piece(tier, lo, hi));
        decompose(from, lo, i - 1, pieces);
        decompose(hi, to, i - 1, pieces);
        return;
      }
    }
    throw new IllegalStateException("[" + from + ", " + to + ") is not aligned to the finest tier");
  }

  static long floor(long value, long unit) {
    return value - Math.floorMod(value, unit);
  }

  static long ceil(long value, long unit) {
    long floor = floor(value, unit);
    return floor == value ? value : floor + unit;
  }
}
