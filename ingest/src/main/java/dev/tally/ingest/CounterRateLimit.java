package dev.tally.ingest;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code perSecond} events per counter and second of the wall clock at ingest, for when a client
 * abuses a counter. Fixed one-second windows: only the current second's counts are held, so memory is
 * bounded by one second of traffic. An event over the limit is refused (HTTP 429); each refusal is
 * reported to {@code onRefused} (a metric per counter), and one log line marks the start of an episode:
 * a counter refused in a second after one in which it was not.
 */
public final class CounterRateLimit {

  private static final Logger log = LoggerFactory.getLogger(CounterRateLimit.class);

  private final long perSecond;
  private final Clock clock;
  private final Consumer<String> onRefused;
  private long second = Long.MIN_VALUE;
  private Map<String, long[]> counts = new HashMap<>();
  private Set<String> refusedLastSecond = new HashSet<>();
  private Set<String> refusedThisSecond = new HashSet<>();

  /** @param perSecond the limit per counter; 0 for none */
  public CounterRateLimit(long perSecond, Clock clock, Consumer<String> onRefused) {
    this.perSecond = perSecond;
    this.clock = clock;
    this.onRefused = onRefused;
  }

  public long perSecond() {
    return perSecond;
  }

  /** Whether one more event of {@code counter} is within the limit now; counts it if so. */
  public boolean admit(String counter) {
    if (perSecond <= 0) {
      return true;
    }
    boolean episodeStarts;
    synchronized (this) {
      long now = Math.floorDiv(clock.millis(), 1000);
      if (now != second) {
        refusedLastSecond = now == second + 1 ? refusedThisSecond : new HashSet<>();
        refusedThisSecond = new HashSet<>();
        counts = new HashMap<>();
        second = now;
      }
      long[] count = counts.computeIfAbsent(counter, c -> new long[1]);
      if (count[0] < perSecond) {
        count[0]++;
        return true;
      }
      episodeStarts = refusedThisSecond.add(counter) && !refusedLastSecond.contains(counter);
    }
    if (episodeStarts) {
      log.warn("counter '{}' is over its limit of {} events/s at ingest: answering 429 while it stays over", counter,
          perSecond);
    }
    onRefused.accept(counter);
    return false;
  }
}
