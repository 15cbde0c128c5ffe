package dev.tally.topology;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the topology is a function of.
 *
 * @param incrementsTopic where increment events are read from
 * @param dlqTopic where records that could not be counted are written, with their reason in headers
 * @param tiers tumbling bucket tiers, finest first; every event lands in one bucket of each (none: windows off)
 * @param hoppingWindows hopping windows served from the tiers (size, advance); reads accept only these
 * @param grace how far an event may lag its partition's newest event time and still count in windows
 * @param maxFutureSkew how far an event's time may lead its record's timestamp; further is invalid
 * @param uniqueTiers tumbling tiers of unique-item sketches, finest first (all-time is always kept)
 * @param hllLgK log2 of the buckets of each unique sketch, 4-21: 14 gives about 0.8% error in 8 KB
 * @param shardConfigTopic compacted topic of counter shard counts, written by the hot-counter detector
 * @param hotEventsPerSecond a counter whose rate per shard exceeds this gets four times the shards
 * @param incrementsPartitions the partitions of {@code incrementsTopic}: a record found in another
 *     partition than Kafka's default partitioner gives its key is re-routed to the task that owns the
 *     key; 0 when not known, and nothing is checked
 * @param dedupeHorizon how long an event's {@code eventId} is remembered, per counter: a second event with
 *     the same counter and id within it is not counted again (by record timestamps); zero: ids are ignored
 * @param backfillTopic history to count into its windows: read with {@code incrementsTopic}, partition by
 *     partition (the two must have as many partitions), without the lateness rule and without moving
 *     stream time; a tier older than its retention is skipped
 */
public record TallyConfig(
    String incrementsTopic,
    String dlqTopic,
    List<Tier> tiers,
    List<HoppingWindow> hoppingWindows,
    Duration grace,
    Duration maxFutureSkew,
    List<Tier> uniqueTiers,
    int hllLgK,
    String shardConfigTopic,
    double hotEventsPerSecond,
    int incrementsPartitions,
    Duration dedupeHorizon,
    String backfillTopic) {

  public static final String INCREMENTS_TOPIC = "tally.increments";
  public static final String DLQ_TOPIC = "tally.dlq";
  public static final String SHARD_CONFIG_TOPIC = "tally.shard-config";
  public static final String BACKFILL_TOPIC = "tally.backfill";

  /** A hopping window of {@code size} starting every {@code advance}, aligned to the epoch. */
  public record HoppingWindow(Duration size, Duration advance) {

    public HoppingWindow {
      if (advance.isNegative() || advance.isZero() || advance.compareTo(size) > 0) {
        throw new IllegalArgumentException("hopping advance must be in (0, size]: " + size + " / " + advance);
      }
    }
  }

  public TallyConfig {
    tiers = tiers.stream().sorted(Comparator.comparing(Tier::size)).toList();
    uniqueTiers = uniqueTiers.stream().sorted(Comparator.comparing(Tier::size)).toList();
    if (incrementsPartitions < 0) {
      throw new IllegalArgumentException("incrementsPartitions must be 0 (unknown) or more, got " + incrementsPartitions);
    }
    if (hllLgK < 4 || hllLgK > 21) {
      throw new IllegalArgumentException("hllLgK must be in [4, 21], got " + hllLgK);
    }
    if (dedupeHorizon.isNegative()) {
      throw new IllegalArgumentException("dedupeHorizon must be zero (off) or more, got " + dedupeHorizon);
    }
    hoppingWindows = List.copyOf(hoppingWindows);
    for (int i = 1; i < tiers.size(); i++) {
      if (tiers.get(i).sizeMs() % tiers.get(i - 1).sizeMs() != 0) {
        throw new IllegalArgumentException("each tier's size must be a multiple of the finer one's: " + tiers);
      }
    }
    if (tiers.isEmpty() && !hoppingWindows.isEmpty()) {
      throw new IllegalArgumentException("hopping windows are sums of tier buckets: they need a tier");
    }
    for (HoppingWindow window : hoppingWindows) {
      long finest = tiers.get(0).sizeMs();
      if (window.size().toMillis() % finest != 0 || window.advance().toMillis() % finest != 0) {
        throw new IllegalArgumentException("hopping window " + window + " is not made of whole "
            + tiers.get(0).size() + " buckets");
      }
    }
  }

  public static TallyConfig defaults() {
    return new TallyConfig(INCREMENTS_TOPIC, DLQ_TOPIC,
        List.of(
            new Tier(StoreNames.COUNTS_1S, Duration.ofSeconds(1), Duration.ofHours(2)),
            new Tier(StoreNames.COUNTS_1M, Duration.ofMinutes(1), Duration.ofDays(7)),
            new Tier(StoreNames.COUNTS_1H, Duration.ofHours(1), Duration.ofDays(400))),
        List.of(new HoppingWindow(Duration.ofHours(1), Duration.ofMinutes(5))),
        Duration.ofMinutes(1),
        Duration.ofHours(1),
        List.of(
            new Tier(StoreNames.UNIQUES_1H, Duration.ofHours(1), Duration.ofDays(7)),
            new Tier(StoreNames.UNIQUES_1D, Duration.ofDays(1), Duration.ofDays(400))),
        14,
        SHARD_CONFIG_TOPIC,
        10_000,
        0,
        Duration.ofHours(24),
        BACKFILL_TOPIC);
  }

  /** These settings without any time window or windowed sketch: only all-time totals and uniques. */
  public TallyConfig withoutWindows() {
    return new TallyConfig(incrementsTopic, dlqTopic, List.of(), List.of(), grace, maxFutureSkew, List.of(),
        hllLgK, shardConfigTopic, hotEventsPerSecond, incrementsPartitions, dedupeHorizon, backfillTopic);
  }

  /** These settings with another hot-counter threshold. */
  public TallyConfig withHotEventsPerSecond(double eventsPerSecond) {
    return new TallyConfig(incrementsTopic, dlqTopic, tiers, hoppingWindows, grace, maxFutureSkew, uniqueTiers,
        hllLgK, shardConfigTopic, eventsPerSecond, incrementsPartitions, dedupeHorizon, backfillTopic);
  }

  /** These settings for an increments topic of {@code partitions} partitions. */
  public TallyConfig withIncrementsPartitions(int partitions) {
    return new TallyConfig(incrementsTopic, dlqTopic, tiers, hoppingWindows, grace, maxFutureSkew, uniqueTiers,
        hllLgK, shardConfigTopic, hotEventsPerSecond, partitions, dedupeHorizon, backfillTopic);
  }

  /** These settings with another {@code eventId} horizon (zero: ids are ignored). */
  public TallyConfig withDedupeHorizon(Duration horizon) {
    return new TallyConfig(incrementsTopic, dlqTopic, tiers, hoppingWindows, grace, maxFutureSkew, uniqueTiers,
        hllLgK, shardConfigTopic, hotEventsPerSecond, incrementsPartitions, horizon, backfillTopic);
  }

  /** These settings with another limit on how far an event's time may lead its record's timestamp. */
  public TallyConfig withMaxFutureSkew(Duration skew) {
    return new TallyConfig(incrementsTopic, dlqTopic, tiers, hoppingWindows, grace, skew, uniqueTiers,
        hllLgK, shardConfigTopic, hotEventsPerSecond, incrementsPartitions, dedupeHorizon, backfillTopic);
  }

  /** Whether events with an {@code eventId} are counted once within {@link #dedupeHorizon}. */
  public boolean dedupes() {
    return !dedupeHorizon.isZero();
  }

  /**
   * The count and unique tiers that no longer keep the bucket of {@code eventTime} when stream time is
   * {@code reference}: a window store keeps a bucket while its start is after reference - retention.
   */
  public List<Tier> tiersBeyondRetention(long eventTime, long reference) {
    return Stream.concat(tiers.stream(), uniqueTiers.stream())
        .filter(tier -> tier.bucketStart(eventTime) <= reference - tier.retention().toMillis())
        .toList();
  }

  /** The tier whose buckets are {@code size} long. */
  public Optional<Tier> tier(Duration size) {
    return tiers.stream().filter(t -> t.size().equals(size)).findFirst();
  }
}
