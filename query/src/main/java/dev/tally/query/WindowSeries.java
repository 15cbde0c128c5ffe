package dev.tally.query;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Consecutive windows of one counter; {@code advance} is null for a tier's buckets. */
public record WindowSeries(String counter, Duration size, Duration advance, Duration granularity,
    List<Window> windows) {

  /** The count in [start, end). */
  public record Window(Instant start, Instant end, long count) {}
}
