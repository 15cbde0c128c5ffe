package dev.tally.ingest;

import dev.tally.schemas.CounterIds;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import dev.tally.schemas.ShardKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pins a counter's shard count ahead of a known spike, by writing it to {@code tally.shard-config}. A pin
 * never lowers a count: it is checked against the larger of the count this instance's stores hold
 * (which follow the topic asynchronously) and the largest this instance pinned itself, one pin at a
 * time, so a pin of 4 straight after a pin of 16 is refused even before the 16 comes back from Kafka.
 * A lower record that still lands (a writer elsewhere that had not seen the higher one) is answered by
 * {@link #reassert}, so the topic's last record, the one compaction keeps, is the largest again.
 */
public final class ShardPins implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ShardPins.class);
  /** How long a pin waits for Kafka's acknowledgement before it answers 503. */
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);

  private final KafkaProducer<String, ShardConfig> producer;
  private final String topic;
  private final ToIntFunction<String> currentShards;
  private final Clock clock;
  /** The largest count this instance pinned, per counter. */
  private final Map<String, Integer> pinned = new HashMap<>();

  /**
   * @param kafka the cluster's client settings: bootstrap servers, and security if any
   * @param currentShards the counter's shard count now, so a pin can refuse to lower it
   */
  public ShardPins(Map<String, Object> kafka, String topic, ToIntFunction<String> currentShards, Clock clock) {
    Map<String, Object> settings = new HashMap<>(kafka);
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    settings.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-shard-pins");
    settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TallyProducer.MAX_BLOCK.toMillis());
    this.producer = new KafkaProducer<>(settings, new StringSerializer(), new ShardConfigSerde().serializer());
    this.topic = topic;
    this.currentShards = currentShards;
    this.clock = clock;
  }

  /**
   * Sets {@code counter} to {@code shards} shards.
   *
   * @throws InvalidEventException if {@code shards} is not 1, 4, 16 or 64, or lower than the current count
   */
  public synchronized ShardConfig pin(String counter, int shards) {
    CounterIds.problem(counter).ifPresent(problem -> {
      throw new InvalidEventException(problem);
    });
    if (!ShardKeys.isValidCount(shards)) {
      throw new InvalidEventException("shards must be 1, 4, 16 or 64, got " + shards);
    }
    int current = Math.max(currentShards.applyAsInt(counter), pinned.getOrDefault(counter, 1));
    if (shards < current) {
      throw new InvalidEventException("shard counts never shrink: counter '" + counter + "' already has "
          + current + " shards");
    }
    ShardConfig config = ShardConfig.newBuilder().setCounter(counter).setShards(shards).setReason("pinned")
        .setEventsPerSecond(0).setDecidedAt(clock.instant()).build();
    try {
      producer.send(new ProducerRecord<>(topic, counter, config)).get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IngestUnavailableException("interrupted while pinning", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IngestUnavailableException("Kafka did not acknowledge the pin: " + e, e);
    }
    pinned.merge(counter, shards, Math::max);
    return config;
  }

  /**
   * Writes {@code largest} again, after a lower count for its counter was read from the topic: the
   * readers keep the largest anyway, but compaction keeps only the last record per counter.
   */
  public void reassert(ShardConfig largest) {
    log.info("counter '{}': a lower shard count was written after {}; writing {} again", largest.getCounter(),
        largest.getShards(), largest.getShards());
    try {
      producer.send(new ProducerRecord<>(topic, largest.getCounter(), largest), (metadata, e) -> {
        if (e != null) {
          log.warn("could not write the shard count of counter '{}' again: {}", largest.getCounter(), e.toString());
        }
      });
    } catch (IllegalStateException e) {
      log.debug("not writing the shard count of counter '{}' again: shutting down", largest.getCounter());
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
