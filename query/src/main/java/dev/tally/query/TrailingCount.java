package dev.tally.query;

import java.time.Duration;
import java.time.Instant;

/** The count of a counter in [from, to), the trailing window that was asked for, rounded to granularity. */
public record TrailingCount(String counter, long count, Instant from, Instant to, Duration granularity) {}
