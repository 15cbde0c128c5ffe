package dev.tally.ingest;

/**
 * Kafka did not acknowledge the events in time. Some may have been written: a client that retries may
 * count them twice.
 */
public final class IngestUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public IngestUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
