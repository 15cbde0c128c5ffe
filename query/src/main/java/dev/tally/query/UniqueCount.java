package dev.tally.query;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * An estimate of the distinct items of {@code counters} together, with bounds at {@code confidence}
 * standard deviations; {@code from}, {@code to} and {@code granularity} are null for all time.
 */
public record UniqueCount(List<String> counters, long estimate, long lowerBound, long upperBound,
    int confidence, Instant from, Instant to, Duration granularity) {}
