package dev.tally.api;

import dev.tally.ingest.IngestUnavailableException;
import dev.tally.ingest.InvalidEventException;
import dev.tally.ingest.RateLimitedException;
import dev.tally.ingest.TooLargeException;
import dev.tally.query.BadRequestException;
import dev.tally.query.StateUnavailableException;
import java.util.Map;

/**
 * What a request that failed with an exception is answered, on Javalin's routes and on
 * {@link CoreRoutes} alike: its status, the message of its JSON {@code {"error": "..."}} and its headers.
 *
 * @param status 400 for bad input, 413 for a body over a limit, 401 or 403 for a token, 429 over a
 *     counter's rate limit, 503 while Kafka or the state is unavailable, 500 for a bug
 */
record Failure(int status, String message) {

  /** Anything not foreseen: a bug, answered without its details (the server log has them). */
  static final Failure INTERNAL = new Failure(500, "internal error; see the server log");

  static Failure of(Throwable e) {
    if (e instanceof InvalidEventException || e instanceof BadRequestException) {
      return new Failure(400, e.getMessage());
    }
    if (e instanceof TooLargeException) {
      return new Failure(413, e.getMessage());
    }
    if (e instanceof BearerAuth.AuthException auth) {
      return new Failure(auth.status(), e.getMessage());
    }
    if (e instanceof RateLimitedException) {
      return new Failure(429, e.getMessage());
    }
    if (e instanceof IngestUnavailableException || e instanceof StateUnavailableException) {
      return new Failure(503, e.getMessage());
    }
    return INTERNAL;
  }

  /** {@code Retry-After: 1} when the client may retry in a second (429, 503); the scheme a 401 asks for. */
  Map<String, String> headers() {
    return switch (status) {
      case 429, 503 -> Map.of("Retry-After", "1");
      case 401 -> Map.of("WWW-Authenticate", "Bearer");
      default -> Map.of();
    };
  }

  /** The JSON body. */
  Map<String, String> body() {
    return Map.of("error", message);
  }
}
