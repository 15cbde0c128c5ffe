package dev.tally.query;

import org.apache.kafka.streams.query.Position;

/**
 * How one client read may be answered, and what answered it.
 *
 * <p>{@code strong}: only active copies. Otherwise (eventual, the default) a standby copy may answer
 * when the active is unavailable; {@link #servedByStandby()} and {@link #maxLag()} then say so.
 * {@code after}: the read waits (within its budget) until the stores have processed this position.
 */
public final class ReadContext {

  private final boolean strong;
  private final Position after;
  private volatile boolean servedByStandby;
  private volatile long maxLag;

  public ReadContext(boolean strong, Position after) {
    this.strong = strong;
    this.after = after;
  }

  public boolean strong() {
    return strong;
  }

  public Position after() {
    return after;
  }

  public boolean servedByStandby() {
    return servedByStandby;
  }

  /** Offsets the standby copies that answered were behind their actives, at most. */
  public long maxLag() {
    return maxLag;
  }

  synchronized void record(Fetched fetched) {
    if (fetched.standby()) {
      servedByStandby = true;
      maxLag = Math.max(maxLag, fetched.lag());
    }
  }
}
