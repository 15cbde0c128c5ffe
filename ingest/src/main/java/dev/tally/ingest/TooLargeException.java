package dev.tally.ingest;

/** A request body over a limit (bytes or events), noticed while it was read: HTTP 413. */
public final class TooLargeException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public TooLargeException(String message) {
    super(message);
  }
}
