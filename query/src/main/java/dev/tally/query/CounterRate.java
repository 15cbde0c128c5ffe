package dev.tally.query;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** How many events a counter took in the {@code window} [from, to), and that as a rate. */
public record CounterRate(String counter, Duration window, long events, double perSecond, Instant from,
    Instant to) {

  /** {@code events} in [from, to). */
  static CounterRate of(String counter, long events, Instant from, Instant to) {
    Duration window = Duration.between(from, to);
    return new CounterRate(counter, window, events, events * 1000.0 / window.toMillis(), from, to);
  }

  /** The {@code limit} busiest of {@code rates}, busiest first; reports of one counter are summed. */
  static List<CounterRate> top(Collection<CounterRate> rates, int limit) {
    Map<String, CounterRate> byCounter = new HashMap<>();
    for (CounterRate rate : rates) {
      byCounter.merge(rate.counter(), rate, (a, b) -> of(a.counter(), a.events() + b.events(),
          a.from().isBefore(b.from()) ? a.from() : b.from(), a.to().isAfter(b.to()) ? a.to() : b.to()));
    }
    return byCounter.values().stream()
        .filter(rate -> rate.events() > 0)
        .sorted(Comparator.comparingLong(CounterRate::events).reversed().thenComparing(CounterRate::counter))
        .limit(limit)
        .toList();
  }
}
