package dev.tally.ingest;

import dev.tally.schemas.IncrementEvent;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Something that writes increment events to Kafka; the future completes once the broker has the event. */
public interface EventSender {

  CompletableFuture<RecordMetadata> send(IncrementEvent event);
}
