package dev.tally.schemas;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** What a decoded event must satisfy to be counted. The HTTP ingest path applies the same rules. */
public final class EventRules {

  public static final int MAX_ITEM_LENGTH = 1024;
  public static final int MAX_EVENT_ID_LENGTH = 200;

  private EventRules() {}

  /**
   * What is wrong with {@code event} keyed by {@code key}, or empty if it can be counted.
   *
   * @param referenceMs when the event was written (its record's timestamp); the event time may lead it
   *     by at most {@code maxFutureSkew}, so one bad clock cannot push stream time, and every window with
   *     it, into the future
   */
  public static Optional<String> problem(String key, IncrementEvent event, long referenceMs,
      Duration maxFutureSkew) {
    Optional<String> counterProblem = CounterIds.problem(event.getCounter());
    if (counterProblem.isPresent()) {
      return counterProblem;
    }
    if (key == null) {
      return Optional.of("record key is missing: it must be the counter id '" + event.getCounter()
          + "' or one of its shard keys");
    }
    if (!ShardKeys.belongsTo(key, event.getCounter())) {
      return Optional.of("record key '" + CounterIds.abbreviate(key) + "' is not the counter id '"
          + event.getCounter() + "' or one of its shard keys (counter#1 .. counter#63)");
    }
    long eventTime = event.getEventTime().toEpochMilli();
    Optional<String> future = futureProblem(eventTime, referenceMs, maxFutureSkew);
    return future.isPresent() ? future : fieldProblem(eventTime, event.getItem(), event.getEventId());
  }

  /** The event time lies more than {@code maxFutureSkew} after {@code referenceMs}. */
  public static Optional<String> futureProblem(long eventTimeMs, long referenceMs, Duration maxFutureSkew) {
    if (eventTimeMs - referenceMs > maxFutureSkew.toMillis()) {
      return Optional.of("eventTime " + Instant.ofEpochMilli(eventTimeMs) + " is more than "
          + maxFutureSkew + " ahead of when it was written (" + Instant.ofEpochMilli(referenceMs) + ")");
    }
    return Optional.empty();
  }

  /** The rules on an event's optional fields, for callers that have not built an event yet. */
  public static Optional<String> fieldProblem(long eventTimeMillis, String item, String eventId) {
    if (eventTimeMillis < 0) {
      return Optional.of("eventTime must not be before 1970-01-01T00:00:00Z");
    }
    if (item != null && (item.isEmpty() || item.length() > MAX_ITEM_LENGTH)) {
      return Optional.of("item must be 1-" + MAX_ITEM_LENGTH + " characters when present");
    }
    if (eventId != null && (eventId.isEmpty() || eventId.length() > MAX_EVENT_ID_LENGTH)) {
      return Optional.of("eventId must be 1-" + MAX_EVENT_ID_LENGTH + " characters when present");
    }
    return Optional.empty();
  }
}
