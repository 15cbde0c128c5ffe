package dev.tally.topology;

/**
 * A PN-counter: the sum of all positive deltas and the sum of the magnitudes of all negative ones, both
 * never negative. Arithmetic is exact; a sum that would leave the range of {@code long} throws instead of
 * wrapping.
 */
public record PnCounter(long increments, long decrements) {

  public static final PnCounter ZERO = new PnCounter(0, 0);

  public PnCounter {
    if (increments < 0 || decrements < 0) {
      throw new IllegalArgumentException("PnCounter parts must not be negative: " + increments + ", " + decrements);
    }
  }

  /**
   * This counter after adding {@code delta}.
   *
   * @throws ArithmeticException if the increments or decrements would exceed {@link Long#MAX_VALUE}
   *     ({@code Long.MIN_VALUE} as a delta always does: its magnitude is 2^63)
   */
  public PnCounter plus(long delta) {
    return delta >= 0
        ? new PnCounter(Math.addExact(increments, delta), decrements)
        : new PnCounter(increments, Math.addExact(decrements, Math.negateExact(delta)));
  }

  /** The sum of two counters (shards of one counter, say). */
  public PnCounter plus(PnCounter other) {
    return new PnCounter(Math.addExact(increments, other.increments), Math.addExact(decrements, other.decrements));
  }

  /** Increments minus decrements; cannot overflow since both parts lie in [0, Long.MAX_VALUE]. */
  public long total() {
    return increments - decrements;
  }
}
