package dev.tally.topology;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Headers of a dead-letter record. The record keeps the original key and value bytes untouched; the
 * headers say why it was not counted and where it came from, so it can be fixed and replayed. Only a
 * record too large to be sent again with those headers (past {@link #MAX_PART_BYTES} a part) is
 * truncated, and says so: its coordinates still lead to the original.
 */
public final class DeadLetters {

  public static final String REASON = "tally.dlq.reason";
  public static final String MESSAGE = "tally.dlq.message";
  public static final String SOURCE_TOPIC = "tally.dlq.source.topic";
  public static final String SOURCE_PARTITION = "tally.dlq.source.partition";
  public static final String SOURCE_OFFSET = "tally.dlq.source.offset";
  /** On a truncated dead letter: the original sizes, as {@code key=N,value=N,headers=N} in bytes. */
  public static final String TRUNCATED = "tally.dlq.truncated";
  /**
   * The largest key, value or set of original headers a dead letter carries: together well under the
   * producer's 1 MB request limit, which a copy of a record near 1 MB with headers added once passed,
   * failing the send and stopping every instance in turn.
   */
  static final int MAX_PART_BYTES = 256 * 1024;

  /** Reason codes other than the decoding ones of {@code EventDecodingException.Reason}. */
  public static final String INVALID = "invalid";
  public static final String OVERFLOW = "overflow";
  /** Counted in the all-time total, but too late for the windows; the dead letter is a report. */
  public static final String LATE = "late";

  /** Every reason code, for metrics that show zero before the first dead letter. */
  static final List<String> REASONS = List.of("corrupt", "unknown-schema", "incompatible-schema", INVALID,
      OVERFLOW, LATE);

  private DeadLetters() {}

  /**
   * The headers of the dead letter of a record with {@code key}, {@code value} and {@code original}
   * headers: those headers (dropped past {@link #MAX_PART_BYTES}), the reason, the source and, when any
   * part is past {@link #MAX_PART_BYTES}, {@link #TRUNCATED} with the original sizes.
   */
  static Headers headers(byte[] key, byte[] value, Headers original, String reason, String message,
      RecordMetadata source) {
    int keyBytes = key == null ? 0 : key.length;
    int valueBytes = value == null ? 0 : value.length;
    int headerBytes = size(original);
    Headers headers = new RecordHeaders(headerBytes > MAX_PART_BYTES ? new Header[0] : original.toArray());
    put(headers, REASON, reason);
    put(headers, MESSAGE, message);
    if (source != null) {
      put(headers, SOURCE_TOPIC, source.topic());
      put(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
      put(headers, SOURCE_OFFSET, Long.toString(source.offset()));
    }
    if (keyBytes > MAX_PART_BYTES || valueBytes > MAX_PART_BYTES || headerBytes > MAX_PART_BYTES) {
      put(headers, TRUNCATED, "key=" + keyBytes + ",value=" + valueBytes + ",headers=" + headerBytes);
    }
    return headers;
  }

  /** {@code bytes}, cut to {@link #MAX_PART_BYTES}. */
  static byte[] truncate(byte[] bytes) {
    return bytes == null || bytes.length <= MAX_PART_BYTES ? bytes : Arrays.copyOf(bytes, MAX_PART_BYTES);
  }

  private static int size(Headers headers) {
    int size = 0;
    for (Header header : headers) {
      size += header.key().length() + (header.value() == null ? 0 : header.value().length);
    }
    return size;
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
