package dev.tally.topology;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Headers of a dead-letter record. The record keeps the original key and value bytes untouched; the
 * headers say why it was not counted and where it came from, so it can be fixed and replayed.
 */
public final class DeadLetters {

  public static final String REASON = "tally.dlq.reason";
  public static final String MESSAGE = "tally.dlq.message";
  public static final String SOURCE_TOPIC = "tally.dlq.source.topic";
  public static final String SOURCE_PARTITION = "tally.dlq.source.partition";
  public static final String SOURCE_OFFSET = "tally.dlq.source.offset";

  /** Reason codes other than the decoding ones of {@code EventDecodingException.Reason}. */
  public static final String INVALID = "invalid";
  public static final String OVERFLOW = "overflow";
  /** Counted in the all-time total, but too late for the windows; the dead letter is a report. */
  public static final String LATE = "late";

  /** Every reason code, for metrics that show zero before the first dead letter. */
  static final List<String> REASONS = List.of("corrupt", "unknown-schema", "incompatible-schema", INVALID,
      OVERFLOW, LATE);

  private DeadLetters() {}

  static Headers headers(Headers original, String reason, String message, RecordMetadata source) {
    Headers headers = new RecordHeaders(original.toArray());
    put(headers, REASON, reason);
    put(headers, MESSAGE, message);
    if (source != null) {
      put(headers, SOURCE_TOPIC, source.topic());
      put(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
      put(headers, SOURCE_OFFSET, Long.toString(source.offset()));
    }
    return headers;
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
