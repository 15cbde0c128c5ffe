package dev.tally.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.schemas.IncrementEvent;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventParserTest {

  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final Duration SKEW = Duration.ofHours(1);
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void appliesDefaults() {
    IncrementEvent event = EventParser.parse(json("{}"), "page:1", NOW, SKEW);

    assertThat(event.getCounter()).isEqualTo("page:1");
    assertThat(event.getDelta()).isEqualTo(1);
    assertThat(event.getEventTime()).isEqualTo(NOW);
    assertThat(event.getItem()).isNull();
  }

  @Test
  void readsEveryField() {
    IncrementEvent event = EventParser.parse(json("""
        {"counter":"a","delta":-9223372036854775808,"item":"u42",
         "eventTime":"2026-11-29T12:00:00.250Z","eventId":"e1"}"""), null, NOW, SKEW);

    assertThat(event.getDelta()).isEqualTo(Long.MIN_VALUE);
    assertThat(event.getEventTime()).isEqualTo(Instant.parse("2026-11-29T12:00:00.250Z"));
    assertThat(event.getItem()).isEqualTo("u42");
    assertThat(event.getEventId()).isEqualTo("e1");
    assertThat(EventParser.parse(json("{\"eventTime\":1000}"), "a", NOW, SKEW).getEventTime())
        .isEqualTo(Instant.ofEpochMilli(1000));
  }

  @Test
  void rejectsBadInputWithAMessage() {
    assertRejected("{\"delta\":1.5}", "a", "delta must be an integer");
    assertRejected("{\"delta\":9223372036854775808}", "a", "delta must be an integer");
    assertRejected("{\"delta\":\"5\"}", "a", "delta must be an integer");
    assertRejected("{\"eventTime\":\"yesterday\"}", "a", "eventTime must be an ISO-8601 instant");
    assertRejected("{\"eventTime\":-1}", "a", "before 1970");
    assertRejected("{\"eventTime\":\"2026-11-29T13:00:00.001Z\"}", "a", "ahead of when it was written");
    assertRejected("{\"detla\":1}", "a", "unknown field 'detla'");
    assertRejected("{\"counter\":\"b\"}", "a", "but the URL names 'a'");
    assertRejected("{}", null, "counter id is missing");
    assertRejected("{\"counter\":\"a#1\"}", null, "may only contain");
    assertRejected("{\"counter\":\"" + "x".repeat(201) + "\"}", null, "at most 200");
    assertRejected("{\"item\":7}", "a", "item must be a string");
    assertRejected("[1]", "a", "must be a JSON object");
  }

  private void assertRejected(String body, String counter, String message) {
    assertThatThrownBy(() -> EventParser.parse(json(body), counter, NOW, SKEW))
        .as(body).isInstanceOf(InvalidEventException.class).hasMessageContaining(message);
  }

  private JsonNode json(String text) {
    try {
      return mapper.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
