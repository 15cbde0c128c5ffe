package dev.tally.topology;

import java.util.Arrays;

/**
 * What one event of a shard key updates, held as one value so that it costs one store read and one
 * write per commit: the key's all-time value and the open (newest) bucket of each of its tiers. Older
 * buckets live in the tiers' window stores. Mutable, and only ever touched under its
 * {@link HeadStore}'s monitor.
 *
 * @param <V> a bucket's value: a {@link PnCounter}, or an {@code HllSketch}
 */
final class Head<V> {

  /** The start of a tier that has no open bucket. */
  static final long NONE = Long.MIN_VALUE;

  V total;
  final long[] starts;
  final Object[] open;

  Head(int tiers) {
    this.starts = new long[tiers];
    this.open = new Object[tiers];
    Arrays.fill(starts, NONE);
  }

  @SuppressWarnings("unchecked")
  V open(int tier) {
    return (V) open[tier];
  }

  int tiers() {
    return starts.length;
  }
}
