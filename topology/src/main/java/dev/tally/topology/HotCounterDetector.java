package dev.tally.topology;

import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardKeys;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises a counter's shard count fourfold (1, 4, 16, 64) once one of its shard keys has run above the
 * threshold for {@link #HOT_SECONDS} consecutive seconds, so a burst of a few seconds is spread while it
 * lasts. A counter's events spread evenly over its shards, so a shard over the threshold means the
 * counter is over the threshold times its shard count. Fed by {@link CountProcessor} once a second of
 * stream time with each shard key's events of that second; each task watches its own shard keys, so
 * nothing is repartitioned. Shard counts never shrink: a raise starts from the larger of what this
 * detector published and the current (possibly pinned) configuration; two tasks raising the same
 * counter at once publish the same count.
 *
 * <p>Only candidates are remembered: a shard key enters the in-memory table when a second carries
 * more than half the threshold, and leaves it when its recent seconds are all at or under it. The table
 * is not persisted: after a restart a counter is raised at most {@link #HOT_SECONDS} seconds later than
 * it would have been.
 */
final class HotCounterDetector {

  private static final Logger log = LoggerFactory.getLogger(HotCounterDetector.class);
  static final String AUTO = "auto";
  /** Consecutive seconds above the threshold that make a counter hot. */
  static final int HOT_SECONDS = 3;

  private record Second(long second, long events) {}

  private final double threshold;
  /** Candidates: shard key to its events in its latest seconds, oldest first. */
  private final Map<String, Deque<Second>> recent = new HashMap<>();
  /** What this detector raised each counter to. */
  private final Map<String, Integer> published = new HashMap<>();

  HotCounterDetector(double threshold) {
    this.threshold = threshold;
  }

  /** Forgets every candidate (a revived task starts over). */
  void clear() {
    recent.clear();
  }

  /**
   * Notes {@code events} of {@code shardKey} in {@code second} (epoch seconds of stream time).
   *
   * @param configured the counter's shard count in the configuration
   * @return the counter's new shard configuration, when this made it hot
   */
  Optional<ShardConfig> observe(String shardKey, long second, long events, ToIntFunction<String> configured) {
    Deque<Second> seconds = recent.get(shardKey);
    if (seconds == null) {
      if (events <= threshold / 2) {
        return Optional.empty();
      }
      seconds = new ArrayDeque<>();
      recent.put(shardKey, seconds);
    }
    seconds.addLast(new Second(second, events));
    while (seconds.size() > HOT_SECONDS) {
      seconds.removeFirst();
    }
    if (seconds.stream().allMatch(s -> s.events() <= threshold / 2)) {
      recent.remove(shardKey);
      return Optional.empty();
    }
    boolean hot = seconds.size() == HOT_SECONDS
        && seconds.getFirst().second() == second - HOT_SECONDS + 1
        && seconds.stream().allMatch(s -> s.events() > threshold);
    if (!hot) {
      return Optional.empty();
    }
    String counter = ShardKeys.counterOf(shardKey);
    int current = Math.max(published.getOrDefault(counter, 1), configured.applyAsInt(counter));
    // This counter's candidates start over: its shards change under them.
    recent.keySet().removeIf(key -> ShardKeys.counterOf(key).equals(counter));
    if (current >= ShardKeys.MAX_SHARDS) {
      return Optional.empty();
    }
    double eventsPerSecond = seconds.stream().mapToLong(Second::events).sum() / (double) HOT_SECONDS * current;
    int next = current * 4;
    published.put(counter, next);
    log.info("hot counter '{}': shard key '{}' ran at over {} events/s for {} s (about {} events/s over {} "
            + "shard(s)); raising to {} shards", counter, shardKey, threshold, HOT_SECONDS,
        String.format("%.1f", eventsPerSecond), current, next);
    return Optional.of(ShardConfig.newBuilder().setCounter(counter).setShards(next).setReason(AUTO)
        .setEventsPerSecond(eventsPerSecond).setDecidedAt(Instant.ofEpochMilli((second + 1) * 1000)).build());
  }
}
