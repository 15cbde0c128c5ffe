package dev.tally.query;

import dev.tally.topology.CounterTopology;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;

/** How many events a counter took in the sliding {@code window} [from, to], and that as a rate. */
public record CounterRate(String counter, Duration window, long events, double perSecond, Instant from,
    Instant to) {

  /**
   * The rate from a counter's sliding windows (sums by window start): the latest window that ended by
   * {@code now}; zero if even that ended more than a window ago.
   */
  static CounterRate latest(String counter, NavigableMap<Long, ?> windows, long now) {
    long size = CounterTopology.RATE_WINDOW.toMillis();
    Map.Entry<Long, ?> latest = windows.floorEntry(now - size);
    if (latest == null || latest.getKey() + size < now - size) {
      return new CounterRate(counter, CounterTopology.RATE_WINDOW, 0, 0.0, null, null);
    }
    long events = ((Number) latest.getValue()).longValue();
    return new CounterRate(counter, CounterTopology.RATE_WINDOW, events, events * 1000.0 / size,
        Instant.ofEpochMilli(latest.getKey()), Instant.ofEpochMilli(latest.getKey() + size));
  }
}
