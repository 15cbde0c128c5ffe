package dev.tally.ingest;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes increment events to {@code tally.increments}, keyed by the counter's shard key. Idempotent with
 * {@code acks=all}: an event whose future completed is on every in-sync replica and is written once even
 * if the producer retried. Thread-safe.
 */
public final class TallyProducer implements AutoCloseable {

  private final KafkaProducer<String, IncrementEvent> producer;
  private final String topic;

  public TallyProducer(String bootstrapServers, String topic) {
    this(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topic);
  }

  /** A producer with Tally's settings, overridden by {@code overrides}. */
  public TallyProducer(Map<String, Object> overrides, String topic) {
    Map<String, Object> config = new java.util.HashMap<>(Map.of(
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024,
        ProducerConfig.CLIENT_ID_CONFIG, "tally-producer"));
    config.putAll(overrides);
    IncrementEventSerde serde = new IncrementEventSerde();
    this.producer = new KafkaProducer<>(config, new StringSerializer(), serde.serializer());
    this.topic = topic;
  }

  /** Sends {@code event} keyed by its counter; the future completes once the broker has it. */
  public CompletableFuture<RecordMetadata> send(IncrementEvent event) {
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    producer.send(new ProducerRecord<>(topic, event.getCounter(), event), (metadata, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(metadata);
      }
    });
    return result;
  }

  @Override
  public void close() {
    producer.close();
  }
}
