package dev.tally.query;

/** The state that answers a read is not queryable right now (starting, rebalancing); retry shortly. */
public final class StateUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StateUnavailableException(String message) {
    super(message);
  }

  public StateUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
