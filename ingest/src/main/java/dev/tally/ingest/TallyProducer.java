package dev.tally.ingest;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.ShardKeys;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes increment events to {@code tally.increments}, keyed by the counter's shard key: a counter with n
 * shards sends each event to a random one of {@code c}, {@code c#1} .. {@code c#(n-1)}, except events with
 * an {@code eventId}, which always go to {@code c}. Idempotent with
 * {@code acks=all}: an event whose future completed is on every in-sync replica and is written once even
 * if the producer retried. Thread-safe.
 */
public final class TallyProducer implements EventSender, AutoCloseable {

  /** The longest a send may block its caller (missing metadata, a full buffer) before it fails. */
  public static final Duration MAX_BLOCK = Duration.ofSeconds(2);

  private final KafkaProducer<String, IncrementEvent> producer;
  private final String topic;
  private final ToIntFunction<String> shards;

  /** A producer that writes every counter to its shard 0 (its own id). */
  public TallyProducer(String bootstrapServers, String topic) {
    this(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topic, counter -> 1);
  }

  /**
   * A producer with Tally's settings, overridden by {@code overrides}.
   *
   * @param shards the current shard count of a counter, e.g. {@link ShardCounts#of}
   */
  public TallyProducer(Map<String, Object> overrides, String topic, ToIntFunction<String> shards) {
    Map<String, Object> config = new HashMap<>(Map.of(
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024,
        ProducerConfig.CLIENT_ID_CONFIG, "tally-producer",
        // A send blocks its caller while metadata is missing or the buffer is full: at most this long.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) MAX_BLOCK.toMillis()));
    config.putAll(overrides);
    IncrementEventSerde serde = new IncrementEventSerde();
    this.producer = new KafkaProducer<>(config, new StringSerializer(), serde.serializer());
    this.topic = topic;
    this.shards = shards;
  }

  /** Sends {@code event} keyed by one of its counter's shard keys; the future completes once the broker has it. */
  @Override
  public CompletableFuture<RecordMetadata> send(IncrementEvent event) {
    return sendTo(topic, event);
  }

  /** As {@link #send}, to {@code topic} (the backfill topic, keyed the same way). */
  public CompletableFuture<RecordMetadata> sendTo(String topic, IncrementEvent event) {
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    sendTo(topic, event, (metadata, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(metadata);
      }
    });
    return result;
  }

  /**
   * As {@link #sendTo(String, IncrementEvent)}, calling {@code callback} on the producer's I/O thread
   * instead of completing a future: for a sender of millions of events, such as {@code tally import}.
   */
  public void sendTo(String topic, IncrementEvent event, Callback callback) {
    String counter = event.getCounter();
    int count = shards.applyAsInt(counter);
    // An event with an id goes to shard 0, where its retries go too: the topology remembers ids per
    // partition, and a random shard could put a retry where its first try is not known.
    String key = count <= 1 || event.getEventId() != null ? counter
        : ShardKeys.of(counter, ThreadLocalRandom.current().nextInt(count));
    producer.send(new ProducerRecord<>(topic, key, event), callback);
  }

  /** Sends everything buffered now and waits for it. */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }
}
