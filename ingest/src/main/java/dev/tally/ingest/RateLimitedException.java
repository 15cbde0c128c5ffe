package dev.tally.ingest;

/** A write over its counter's events-per-second limit at ingest: HTTP 429 with {@code Retry-After}. */
public final class RateLimitedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RateLimitedException(String message) {
    super(message);
  }
}
