package dev.tally.query;

import java.time.Duration;
import java.time.Instant;

/** How many events a counter took in the sliding {@code window} [from, to], and that as a rate. */
public record CounterRate(String counter, Duration window, long events, double perSecond, Instant from,
    Instant to) {}
