package dev.tally.topology;

import dev.tally.schemas.ShardConfig;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises a counter's shard count fourfold (1, 4, 16, 64) once it has run above the threshold per shard
 * for {@link #HOT_SECONDS} consecutive seconds, so a burst of a few seconds is spread while it lasts.
 * Input: the activity ticks, one per shard key per second of stream time, re-keyed by counter; the ticks
 * of one counter's shards in one second are summed. Shard counts never shrink: the detector remembers
 * what it published, and starts from the larger of that and the current (possibly pinned) configuration.
 *
 * <p>Only candidates are remembered: a counter enters the in-memory table when one of its ticks carries
 * more than half the threshold (a shard of a hot counter carries about the threshold or more), and leaves
 * it when its recent seconds are all quiet. The table is not persisted: after a restart a counter is
 * raised at most {@link #HOT_SECONDS} seconds later than it would have been.
 */
final class HotCounterDetector implements Processor<String, Long, String, ShardConfig> {

  private static final Logger log = LoggerFactory.getLogger(HotCounterDetector.class);
  static final String AUTO = "auto";
  /** Consecutive seconds above the threshold that make a counter hot. */
  static final int HOT_SECONDS = 3;

  private final double threshold;
  /** Candidates: counter to its events per second of stream time, for the last few seconds. */
  private final Map<String, NavigableMap<Long, Long>> recent = new HashMap<>();
  private ProcessorContext<String, ShardConfig> context;
  private KeyValueStore<String, Integer> decisions;
  private TimestampedKeyValueStore<String, ShardConfig> configured;
  private Sensor raises;

  HotCounterDetector(double threshold) {
    this.threshold = threshold;
  }

  @Override
  public void init(ProcessorContext<String, ShardConfig> context) {
    this.context = context;
    this.decisions = context.getStateStore(StoreNames.SHARD_DECISIONS);
    this.configured = context.getStateStore(StoreNames.SHARD_CONFIG);
    this.raises = context.metrics().addRateTotalSensor("tally", "hot-counters", "shard-raises",
        Sensor.RecordingLevel.INFO);
  }

  @Override
  public void process(Record<String, Long> record) {
    String counter = record.key();
    long events = record.value() == null ? 0 : record.value();
    NavigableMap<Long, Long> seconds = recent.get(counter);
    if (seconds == null) {
      if (events <= threshold / 2) {
        return;
      }
      seconds = new TreeMap<>();
      recent.put(counter, seconds);
    }
    // A tick holds the events of the second before its timestamp.
    long second = Math.floorDiv(record.timestamp() - 1, 1000);
    seconds.merge(second, events, Long::sum);
    seconds.headMap(second - HOT_SECONDS, true).clear();
    if (seconds.values().stream().allMatch(sum -> sum <= threshold / 2)) {
      recent.remove(counter);
      return;
    }
    int current = currentShards(counter);
    if (current >= ShardKeys.MAX_SHARDS) {
      recent.remove(counter);
      return;
    }
    double over = threshold * current;
    long total = 0;
    for (long s = second - HOT_SECONDS + 1; s <= second; s++) {
      long sum = seconds.getOrDefault(s, 0L);
      if (sum <= over) {
        return;
      }
      total += sum;
    }
    double eventsPerSecond = (double) total / HOT_SECONDS;
    int next = current * 4;
    decisions.put(counter, next);
    recent.remove(counter);
    raises.record();
    log.info("hot counter '{}': {} events/s over {} shard(s) for {} s exceeds {} per shard; raising to {} shards",
        counter, String.format("%.1f", eventsPerSecond), current, HOT_SECONDS, threshold, next);
    context.forward(new Record<>(counter, ShardConfig.newBuilder().setCounter(counter).setShards(next)
        .setReason(AUTO).setEventsPerSecond(eventsPerSecond)
        .setDecidedAt(Instant.ofEpochMilli(record.timestamp())).build(), record.timestamp()));
  }

  private int currentShards(String counter) {
    Integer decided = decisions.get(counter);
    ValueAndTimestamp<ShardConfig> config = configured.get(counter);
    int pinned = config == null || config.value() == null ? 1 : config.value().getShards();
    return Math.max(decided == null ? 1 : decided, pinned);
  }
}
