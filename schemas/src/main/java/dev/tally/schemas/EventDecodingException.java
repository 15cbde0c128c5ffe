package dev.tally.schemas;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that cannot be read as an {@link IncrementEvent}. The {@link #reason()} is a short stable code the
 * topology puts in the dead-letter record's headers; the message says what was wrong in words.
 */
public final class EventDecodingException extends SerializationException {

  /** Why a record could not be decoded. */
  public enum Reason {
    /** Not Avro single-object encoding, truncated, or garbage after a valid header. */
    CORRUPT("corrupt"),
    /** Written with a schema whose fingerprint is not among the registered versions. */
    UNKNOWN_SCHEMA("unknown-schema"),
    /** Written with a registered schema that cannot be resolved to the current one. */
    INCOMPATIBLE_SCHEMA("incompatible-schema");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private static final long serialVersionUID = 1L;

  private final Reason reason;

  public EventDecodingException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
