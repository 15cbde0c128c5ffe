package dev.tally.schemas;

/**
 * What one HTTP request may hold: {@code tally serve} options, documented in one table in the README.
 * A request past one is refused whole with a message saying which (413 for size, 400 otherwise, 431
 * for headers), before anything of it is counted.
 *
 * @param maxBodyBytes bytes of a request body
 * @param maxBatchEvents events in one {@code POST /v1/events}
 * @param maxIdLength characters of a counter id written; at most {@link CounterIds#MAX_LENGTH}, what
 *     the topology accepts from any producer
 * @param maxHeaderBytes bytes of a request's line and headers together
 * @param maxUnionCounters counters in one {@code POST /v1/uniques/union}
 */
public record Limits(long maxBodyBytes, int maxBatchEvents, int maxIdLength, int maxHeaderBytes,
    int maxUnionCounters) {

  public static final Limits DEFAULTS = new Limits(16L * 1024 * 1024, 10_000, CounterIds.MAX_LENGTH, 8 * 1024, 1_000);

  public Limits {
    if (maxBodyBytes < 1024 || maxBatchEvents < 1 || maxUnionCounters < 1) {
      throw new IllegalArgumentException("limits must be positive, bodies at least 1024 bytes: " + this);
    }
    if (maxIdLength < 1 || maxIdLength > CounterIds.MAX_LENGTH) {
      throw new IllegalArgumentException("the counter id limit must be 1-" + CounterIds.MAX_LENGTH + ", got "
          + maxIdLength);
    }
    if (maxHeaderBytes < 1024 || maxHeaderBytes > 1024 * 1024) {
      throw new IllegalArgumentException("the header limit must be 1 KiB-1 MiB, got " + maxHeaderBytes);
    }
  }
}
