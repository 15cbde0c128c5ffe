package dev.tally.query;

/** A read request the client must change: the message says what is wrong. Answered with 400. */
public final class BadRequestException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public BadRequestException(String message) {
    super(message);
  }
}
