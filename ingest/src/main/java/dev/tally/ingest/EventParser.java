package dev.tally.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.schemas.CounterIds;
import dev.tally.schemas.EventRules;
import dev.tally.schemas.IncrementEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;

/**
 * Turns one JSON object of the HTTP API into an {@link IncrementEvent}, applying the same rules as the
 * topology. Fields: {@code counter} (batch only), {@code delta} (integer, default 1), {@code item},
 * {@code eventTime} (ISO-8601 instant or epoch milliseconds, default the time of receipt),
 * {@code eventId}. Unknown fields are rejected, so a typo does not silently count the default.
 */
final class EventParser {

  private static final Set<String> FIELDS = Set.of("counter", "delta", "item", "eventTime", "eventId");

  private EventParser() {}

  /**
   * @param counter the counter from the URL, or null when the object must name it
   * @param maxFutureSkew how far past {@code receivedAt} the event time may lie
   * @throws InvalidEventException with a message for the client
   */
  static IncrementEvent parse(JsonNode json, String counter, Instant receivedAt, Duration maxFutureSkew) {
    if (json == null || !json.isObject()) {
      throw new InvalidEventException("an event must be a JSON object");
    }
    for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new InvalidEventException("unknown field '" + name + "'; expected " + FIELDS);
      }
    }
    String id = counter != null ? counter : text(json, "counter");
    if (counter != null && json.has("counter") && !counter.equals(text(json, "counter"))) {
      throw new InvalidEventException("body names counter '" + text(json, "counter")
          + "' but the URL names '" + counter + "'");
    }
    CounterIds.problem(id).ifPresent(problem -> {
      throw new InvalidEventException(problem);
    });
    long delta = delta(json.get("delta"));
    Instant eventTime = eventTime(json.get("eventTime"), receivedAt);
    String item = text(json, "item");
    String eventId = text(json, "eventId");
    EventRules.futureProblem(eventTime.toEpochMilli(), receivedAt.toEpochMilli(), maxFutureSkew)
        .or(() -> EventRules.fieldProblem(eventTime.toEpochMilli(), item, eventId))
        .ifPresent(problem -> {
          throw new InvalidEventException(problem);
        });
    // Every field given and checked above: the constructor, not the builder, which validates each field
    // again: 7 of 155 samples of an import in a profile.
    return new IncrementEvent(id, delta, item, eventTime, eventId);
  }

  private static String text(JsonNode json, String field) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new InvalidEventException(field + " must be a string");
    }
    return node.textValue();
  }

  private static long delta(JsonNode node) {
    if (node == null || node.isNull()) {
      return 1;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw new InvalidEventException("delta must be an integer between " + Long.MIN_VALUE + " and "
          + Long.MAX_VALUE + ", got " + node);
    }
    return node.longValue();
  }

  private static Instant eventTime(JsonNode node, Instant receivedAt) {
    if (node == null || node.isNull()) {
      return receivedAt;
    }
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return Instant.ofEpochMilli(node.longValue());
    }
    if (node.isTextual()) {
      try {
        Instant parsed = Instant.parse(node.textValue());
        parsed.toEpochMilli();
        return parsed;
      } catch (DateTimeParseException | ArithmeticException e) {
        // fall through to the message below
      }
    }
    throw new InvalidEventException("eventTime must be an ISO-8601 instant such as "
        + "2026-11-29T12:00:00.250Z or epoch milliseconds, got " + node);
  }
}
