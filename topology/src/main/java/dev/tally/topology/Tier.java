package dev.tally.topology;

import java.time.Duration;

/**
 * One tier of tumbling buckets: a window store named {@code store} holding, per shard key, one
 * {@link PnCounter} per bucket of {@code size}, kept for {@code retention} of stream time.
 */
public record Tier(String store, Duration size, Duration retention) {

  public Tier {
    if (size.isNegative() || size.isZero() || size.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("tier size must be a positive whole number of seconds: " + size);
    }
    if (retention.compareTo(size) < 0) {
      throw new IllegalArgumentException("tier retention " + retention + " is shorter than its size " + size);
    }
  }

  public long sizeMs() {
    return size.toMillis();
  }

  /** Start of the bucket holding {@code timestampMs}. */
  public long bucketStart(long timestampMs) {
    return timestampMs - Math.floorMod(timestampMs, sizeMs());
  }
}
