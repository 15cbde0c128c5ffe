package dev.tally.ingest;

/** Client input that cannot become an increment event; the message says why, in words for the client. */
public final class InvalidEventException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public InvalidEventException(String message) {
    super(message);
  }
}
