package dev.tally.topology;

import dev.tally.schemas.EventDecodingException;
import dev.tally.schemas.EventRules;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes, validates and counts one increment record: into the all-time total and one bucket of each
 * tier, and its item, if any, into the all-time and windowed unique sketches; each of the two with one
 * update of a {@link HeadStore}. It reads the raw bytes itself, rather than through a deserializer, so that anything it cannot
 * count goes to the dead-letter sink with its original bytes and a reason, and the stream goes on. Only
 * dead letters are forwarded, and the shard decisions of hot counters below.
 *
 * <p>Activity: each counted event adds one to its key in a pending map; once a second of stream time,
 * the pending keys go to the {@link HotCounterDetector} (whose raises are forwarded as
 * {@link CountOutput.ShardDecision}s) and, summed by counter, into this task's busiest counters of that
 * second ({@link TopCounters}, one record a second in the store {@code top-1s}); then the map is
 * cleared. Nothing per key leaves the task, so activity costs no repartition and no per-key store
 * write. The pending map is not persisted: hot detection and the top counters may miss up to a
 * second of events of a task that crashed or moved; counts are not affected.
 *
 * <p>Lateness: an event more than {@code grace} older than this task's stream time is counted in the
 * total but in no window, and reported as a {@code late} dead letter. Stream time is the newest event
 * time seen, each capped at its record's timestamp (when it was written), so an event time in the
 * future moves no one else's lateness. It is kept in a store, so a restart or replay decides lateness
 * exactly as before.
 *
 * <p>Backfill: events from the backfill topic are history. No lateness rule applies to them, and they
 * never move stream time; each lands in the bucket of every tier that still keeps it (judged against
 * stream time, or the record's timestamp if that is newer), and a tier that no longer does is skipped,
 * so month-old history counts in the hour tier and the total, not the second tier
 * ({@code backfill-beyond-retention} counts those events).
 */
final class CountProcessor implements Processor<byte[], byte[], String, CountOutput> {

  private static final Logger log = LoggerFactory.getLogger(CountProcessor.class);
  private static final String STREAM_TIME_KEY = "max-event-time";
  static final Duration ACTIVITY_TICK = Duration.ofSeconds(1);
  /** 2^60: past this a shard key's increments or decrements are near the 64-bit limit. */
  static final long NEAR_OVERFLOW = 1L << 60;
  /** Between counter and event id in the keys of {@code event-ids}; never in a counter id. */
  private static final char ID_SEPARATOR = '/';

  private final IncrementEventSerde serde = new IncrementEventSerde();
  private final TallyConfig config;
  private final Map<String, Sensor> deadLetterSensors = new HashMap<>();
  /** The stream-time store's key for the processed offset of each input topic. */
  private final Map<String, String> progressKeys = new HashMap<>();
  private ProcessorContext<String, CountOutput> context;
  /**
   * Events per shard key since the last activity tick, each in a one-element array so that an event
   * costs no boxed count; in memory only (see the class comment).
   */
  private final Map<String, long[]> pendingActivity = new HashMap<>();
  /** The last record's key, as bytes and as text: a hot key's events follow each other. */
  private byte[] lastKeyBytes;
  private String lastKey;
  private HeadStore<PnCounter> totals;
  private HeadStore<HllSketch> uniques;
  private BufferedKeyValueStore<String, Long> streamTimeStore;
  private WindowStore<String, TopCounters> top;
  /** Ids seen within the dedupe horizon; null when the horizon is zero. */
  private WindowStore<String, Long> eventIds;
  private TimestampedKeyValueStore<String, ShardConfig> shardConfig;
  private final HotCounterDetector hot;
  private Sensor raises;
  private Sensor nearOverflow;
  private Sensor duplicates;
  private Sensor beyondRetention;
  private long streamTime = Long.MIN_VALUE;

  CountProcessor(TallyConfig config) {
    this.config = config;
    this.hot = new HotCounterDetector(config.hotEventsPerSecond());
  }

  @Override
  public void init(ProcessorContext<String, CountOutput> context) {
    this.context = context;
    this.totals = context.getStateStore(StoreNames.COUNTER_TOTALS);
    this.uniques = context.getStateStore(StoreNames.UNIQUES_ALL);
    this.streamTimeStore = context.getStateStore(StoreNames.STREAM_TIME);
    this.top = context.getStateStore(StoreNames.TOP_1S);
    this.shardConfig = context.getStateStore(StoreNames.SHARD_CONFIG);
    this.eventIds = config.dedupes() ? context.getStateStore(StoreNames.EVENT_IDS) : null;
    this.raises = context.metrics().addRateTotalSensor("tally", "hot-counters", "shard-raises",
        Sensor.RecordingLevel.INFO);
    this.nearOverflow = context.metrics().addRateTotalSensor("tally", "counters", "near-overflow",
        Sensor.RecordingLevel.INFO);
    this.duplicates = context.metrics().addRateTotalSensor("tally", "events", "duplicates",
        Sensor.RecordingLevel.INFO);
    this.beyondRetention = context.metrics().addRateTotalSensor("tally", "backfill", "backfill-beyond-retention",
        Sensor.RecordingLevel.INFO);
    // A revived task (after an aborted transaction) inits this same processor again: start clean.
    pendingActivity.clear();
    hot.clear();
    Long stored = streamTimeStore.get(STREAM_TIME_KEY);
    this.streamTime = stored == null ? Long.MIN_VALUE : stored;
    context.schedule(ACTIVITY_TICK, PunctuationType.STREAM_TIME, this::tick);
    DeadLetters.REASONS.forEach(this::sensor);
  }

  private Sensor sensor(String reason) {
    return deadLetterSensors.computeIfAbsent(reason, r -> context.metrics().addRateTotalSensor(
        "tally", "dead-letters", r, Sensor.RecordingLevel.INFO));
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context.recordMetadata().orElse(null);
    count(record, source);
    // After the stores changed: a read that sees this offset sees what it did (see WriteBackStore).
    if (source != null) {
      streamTimeStore.put(progressKeys.computeIfAbsent(source.topic(), topic -> WriteBackStore.PROGRESS_PREFIX + topic),
          source.offset());
    }
  }

  private void count(Record<byte[], byte[]> record, RecordMetadata source) {
    IncrementEvent event;
    try {
      event = serde.decode(record.value());
    } catch (EventDecodingException e) {
      reject(record, e.reason().code(), e.getMessage());
      return;
    }
    String key = keyOf(record.key());
    Optional<String> problem = EventRules.problem(key, event, record.timestamp(), config.maxFutureSkew());
    if (problem.isPresent()) {
      reject(record, DeadLetters.INVALID, problem.get());
      return;
    }
    String idKey = eventIds == null || event.getEventId() == null ? null
        : ShardKeys.counterOf(key) + ID_SEPARATOR + event.getEventId();
    if (idKey != null && seen(idKey, record.timestamp())) {
      duplicates.record();
      log.debug("not counted again: event '{}' of counter '{}', seen within {}", event.getEventId(),
          ShardKeys.counterOf(key), config.dedupeHorizon());
      return;
    }
    long delta = event.getDelta();
    long eventTime = event.getEventTime().toEpochMilli();
    boolean backfill = isBackfill(record, source);
    boolean late = !backfill && streamTime != Long.MIN_VALUE && eventTime < streamTime - config.grace().toMillis();
    long bucketTime = late ? Head.NONE : eventTime;
    // An event moves stream time only as far as when it was written (its record's timestamp): a client
    // whose clock runs fast counts its own events in the future buckets they name, but cannot make
    // everyone else's events late. Record timestamps are in the log, so a replay decides the same.
    // History moves nothing: its buckets are judged against live stream time, or when it was written.
    long newStreamTime = backfill ? Math.max(streamTime, record.timestamp())
        : Math.max(streamTime, Math.min(eventTime, record.timestamp()));
    if (backfill && !config.tiersBeyondRetention(eventTime, newStreamTime).isEmpty()) {
      beyondRetention.record();
    }
    try {
      PnCounter total = totals.add(key, bucketTime, newStreamTime,
          counter -> (counter == null ? PnCounter.ZERO : counter).plus(delta));
      warnNearOverflow(key, total, delta);
    } catch (ArithmeticException e) {
      reject(record, DeadLetters.OVERFLOW, "adding " + delta + " to counter '" + key
          + "' " + totals.total(key) + " would overflow a 64-bit count; the counter is left unchanged");
      return;
    }
    if (idKey != null) {
      // Only once counted: an event refused above may be sent again and count then.
      eventIds.put(idKey, record.timestamp(), record.timestamp());
    }
    String item = event.getItem();
    if (item != null) {
      uniques.add(key, bucketTime, newStreamTime, sketch -> UniqueSketches.add(sketch, item, config.hllLgK()));
    }
    long[] events = pendingActivity.get(key);
    if (events == null) {
      pendingActivity.put(key, new long[] {1});
    } else {
      events[0]++;
    }

    if (late) {
      reject(record, DeadLetters.LATE, "eventTime " + event.getEventTime() + " is more than " + config.grace()
          + " behind the newest event time " + Instant.ofEpochMilli(streamTime)
          + " of its partition: counted in the all-time total, not in any window");
      return;
    }
    if (!backfill && newStreamTime > streamTime) {
      streamTime = newStreamTime;
      streamTimeStore.put(STREAM_TIME_KEY, streamTime);
    }
  }

  /** {@code key} as text; the last key's text again when the bytes are the same. */
  private String keyOf(byte[] key) {
    if (key == null) {
      return null;
    }
    if (!Arrays.equals(key, lastKeyBytes)) {
      lastKey = new String(key, StandardCharsets.UTF_8);
      lastKeyBytes = key;
    }
    return lastKey;
  }

  /**
   * Whether {@code record} is history: read from the backfill topic, or re-routed from it (see
   * {@link PartitionCheck}; the mark is trusted only there, where no producer writes).
   */
  private boolean isBackfill(Record<byte[], byte[]> record, RecordMetadata source) {
    String topic = source == null || source.topic() == null ? "" : source.topic();
    return topic.equals(config.backfillTopic()) || topic.endsWith("-" + CounterTopology.REROUTED + "-repartition")
        && record.headers().lastHeader(PartitionCheck.BACKFILL_HEADER) != null;
  }

  /**
   * Whether {@code idKey} was counted within the dedupe horizon before {@code timestamp}. A retry is
   * written after its first try, so its record timestamp is later; the bound above only guards
   * against clocks of producers that set their own timestamps.
   */
  private boolean seen(String idKey, long timestamp) {
    try (WindowStoreIterator<Long> earlier = eventIds.fetch(idKey,
        Math.max(0, timestamp - config.dedupeHorizon().toMillis()), Long.MAX_VALUE)) {
      return earlier.hasNext();
    }
  }

  /**
   * One log line and one count of the metric when {@code delta} took a shard key's increments or
   * decrements past {@link #NEAR_OVERFLOW}: about an eighth of the way from the 64-bit limit, where
   * further events would be refused as {@code overflow}. Values only grow, so each key crosses once.
   */
  private void warnNearOverflow(String key, PnCounter total, long delta) {
    long part = delta >= 0 ? total.increments() : total.decrements();
    long magnitude = Math.abs(delta); // never Long.MIN_VALUE here: PnCounter.plus refuses it
    if (part >= NEAR_OVERFLOW && part - magnitude < NEAR_OVERFLOW) {
      nearOverflow.record();
      log.warn("counter '{}' (shard key '{}'): its {} passed 2^60 ({}); at 2^63-1 further {} are refused as overflow",
          ShardKeys.counterOf(key), key, delta >= 0 ? "increments" : "decrements", part,
          delta >= 0 ? "increments" : "decrements");
    }
  }

  private void tick(long timestamp) {
    if (pendingActivity.isEmpty()) {
      return;
    }
    // A tick holds the events of the second before its timestamp.
    long second = Math.floorDiv(timestamp - 1, 1000);
    Map<String, Long> byCounter = new HashMap<>();
    pendingActivity.forEach((key, events) -> {
      byCounter.merge(ShardKeys.counterOf(key), events[0], Long::sum);
      hot.observe(key, second, events[0], this::configuredShards).ifPresent(decision -> {
        raises.record();
        context.forward(new Record<>(decision.getCounter().toString(), new CountOutput.ShardDecision(decision),
            timestamp));
      });
    });
    pendingActivity.clear();
    top.put(TopCounters.KEY, TopCounters.of(byCounter), second * 1000);
  }

  private int configuredShards(String counter) {
    ValueAndTimestamp<ShardConfig> configured = shardConfig.get(counter);
    return configured == null || configured.value() == null ? 1 : configured.value().getShards();
  }

  private void reject(Record<byte[], byte[]> record, String reason, String message) {
    var source = context.recordMetadata().orElse(null);
    log.debug("dead letter ({}): {} at {}", reason, message, source);
    sensor(reason).record();
    Headers headers = DeadLetters.headers(record.key(), record.value(), record.headers(), reason, message, source);
    context.forward(new Record<String, CountOutput>(null, new CountOutput.DeadLetter(
        DeadLetters.truncate(record.key()), DeadLetters.truncate(record.value())), record.timestamp(), headers));
  }
}
