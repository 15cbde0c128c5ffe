package dev.tally.topology;

import dev.tally.schemas.ShardConfig;
import java.time.Instant;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches each counter's sliding 1-minute event count and, when its rate per shard exceeds the threshold,
 * publishes four times the shards (1, 4, 16, 64). Shard counts never shrink: the detector remembers what
 * it published, and starts from the larger of that and the current (possibly pinned) configuration.
 */
final class HotCounterDetector implements Processor<Windowed<String>, Long, String, ShardConfig> {

  private static final Logger log = LoggerFactory.getLogger(HotCounterDetector.class);
  static final String AUTO = "auto";

  private final double threshold;
  private final double windowSeconds = CounterTopology.RATE_WINDOW.toMillis() / 1000.0;
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
  public void process(Record<Windowed<String>, Long> record) {
    if (record.value() == null) {
      return;
    }
    String counter = record.key().key();
    double eventsPerSecond = record.value() / windowSeconds;
    int current = currentShards(counter);
    if (current >= ShardKeys.MAX_SHARDS || eventsPerSecond / current <= threshold) {
      return;
    }
    int next = current * 4;
    decisions.put(counter, next);
    raises.record();
    log.info("hot counter '{}': {} events/s over {} shard(s) exceeds {} per shard; raising to {} shards",
        counter, String.format("%.1f", eventsPerSecond), current, threshold, next);
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
