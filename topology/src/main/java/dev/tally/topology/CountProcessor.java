package dev.tally.topology;

import dev.tally.schemas.EventDecodingException;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes, validates and counts one increment record. It reads the raw bytes itself, rather than through a
 * deserializer, so that anything it cannot count goes to the dead-letter sink with its original bytes and
 * a reason, and the stream goes on. Only dead letters are forwarded.
 */
final class CountProcessor implements Processor<byte[], byte[], byte[], byte[]> {

  private static final Logger log = LoggerFactory.getLogger(CountProcessor.class);

  private final IncrementEventSerde serde = new IncrementEventSerde();
  private ProcessorContext<byte[], byte[]> context;
  private KeyValueStore<String, PnCounter> totals;

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
    this.totals = context.getStateStore(StoreNames.COUNTER_TOTALS);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    IncrementEvent event;
    try {
      event = serde.decode(record.value());
    } catch (EventDecodingException e) {
      reject(record, e.reason().code(), e.getMessage());
      return;
    }
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    Optional<String> problem = EventRules.problem(key, event);
    if (problem.isPresent()) {
      reject(record, DeadLetters.INVALID, problem.get());
      return;
    }
    PnCounter current = totals.get(key);
    try {
      totals.put(key, (current == null ? PnCounter.ZERO : current).plus(event.getDelta()));
    } catch (ArithmeticException e) {
      reject(record, DeadLetters.OVERFLOW, "adding " + event.getDelta() + " to counter '" + key
          + "' " + current + " would overflow a 64-bit count; the counter is left unchanged");
    }
  }

  private void reject(Record<byte[], byte[]> record, String reason, String message) {
    var source = context.recordMetadata().orElse(null);
    log.debug("dead letter ({}): {} at {}", reason, message, source);
    context.forward(record.withHeaders(DeadLetters.headers(record.headers(), reason, message, source)),
        CounterTopology.DLQ_SINK);
  }
}
