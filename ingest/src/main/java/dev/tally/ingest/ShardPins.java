package dev.tally.ingest;

import dev.tally.schemas.CounterIds;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import dev.tally.schemas.ShardKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Pins a counter's shard count ahead of a known spike, by writing it to {@code tally.shard-config}. */
public final class ShardPins implements AutoCloseable {

  private final KafkaProducer<String, ShardConfig> producer;
  private final String topic;
  private final ToIntFunction<String> currentShards;
  private final Clock clock;

  /** @param currentShards the counter's shard count now, so a pin can refuse to lower it */
  public ShardPins(String bootstrapServers, String topic, ToIntFunction<String> currentShards, Clock clock) {
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.CLIENT_ID_CONFIG, "tally-shard-pins"),
        new StringSerializer(), new ShardConfigSerde().serializer());
    this.topic = topic;
    this.currentShards = currentShards;
    this.clock = clock;
  }

  /**
   * Sets {@code counter} to {@code shards} shards.
   *
   * @throws InvalidEventException if {@code shards} is not 1, 4, 16 or 64, or lower than the current count
   */
  public ShardConfig pin(String counter, int shards) {
    CounterIds.problem(counter).ifPresent(problem -> {
      throw new InvalidEventException(problem);
    });
    if (!ShardKeys.isValidCount(shards)) {
      throw new InvalidEventException("shards must be 1, 4, 16 or 64, got " + shards);
    }
    int current = currentShards.applyAsInt(counter);
    if (shards < current) {
      throw new InvalidEventException("shard counts never shrink: counter '" + counter + "' already has "
          + current + " shards");
    }
    ShardConfig config = ShardConfig.newBuilder().setCounter(counter).setShards(shards).setReason("pinned")
        .setEventsPerSecond(0).setDecidedAt(clock.instant()).build();
    try {
      producer.send(new ProducerRecord<>(topic, counter, config)).get(Duration.ofSeconds(30).toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IngestUnavailableException("interrupted while pinning", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IngestUnavailableException("Kafka did not acknowledge the pin: " + e, e);
    }
    return config;
  }

  @Override
  public void close() {
    producer.close();
  }
}
