package dev.tally.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 15, item 1: the lines of an import file, by the HTTP API's rules, each bad one with its reason. */
class EventLinesTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);

  @Test
  void ndjsonLinesAreEventsOrRejectedWithTheirNumber() {
    List<EventLines.Line> lines = read(EventLines.Format.NDJSON, """
        {"counter":"a","delta":2,"eventTime":"2026-11-30T11:00:00Z"}

        not json
        {"counter":"b","delta":"x"}
        {"counter":"c","item":"u1","eventId":"e1"}
        """);

    assertThat(lines).extracting(EventLines.Line::number).containsExactly(1L, 3L, 4L, 5L);
    assertThat(lines.get(0).event().getDelta()).isEqualTo(2);
    assertThat(lines.get(0).event().getEventTime()).isEqualTo(Instant.parse("2026-11-30T11:00:00Z"));
    assertThat(lines.get(1).problem()).startsWith("not a JSON object");
    assertThat(lines.get(2).problem()).contains("delta must be an integer");
    assertThat(lines.get(3).event().getItem()).isEqualTo("u1");
    assertThat(lines.get(3).event().getEventTime()).as("the time of reading by default").isEqualTo(CLOCK.instant());
  }

  @Test
  void csvRowsFollowTheirHeaderAndMayQuote() {
    List<EventLines.Line> lines = read(EventLines.Format.CSV, """
        counter,delta,item,eventTime
        a,3,,1764500000000
        b,,"user, with comma",2026-11-30T10:00:00Z
        c,1
        d,99999999999999999999,,
        e,-4,u,
        """);

    assertThat(lines).extracting(EventLines.Line::number).containsExactly(2L, 3L, 4L, 5L, 6L);
    assertThat(lines.get(0).event().getDelta()).isEqualTo(3);
    assertThat(lines.get(0).event().getEventTime()).isEqualTo(Instant.ofEpochMilli(1764500000000L));
    assertThat(lines.get(1).event().getDelta()).as("an empty value is an absent field").isEqualTo(1);
    assertThat(lines.get(1).event().getItem()).isEqualTo("user, with comma");
    assertThat(lines.get(2).problem()).contains("2 values for the 4 columns");
    assertThat(lines.get(3).problem()).contains("delta must be an integer");
    assertThat(lines.get(4).event().getDelta()).isEqualTo(-4);
  }

  @Test
  void aCsvHeaderWithAnUnknownColumnStopsTheRead() {
    EventLines lines = new EventLines(new BufferedReader(new StringReader("counter,count\na,1\n")),
        EventLines.Format.CSV, CLOCK, Duration.ofHours(1));
    assertThatThrownBy(lines::next).isInstanceOf(InvalidEventException.class).hasMessageContaining("'count'");
  }

  @Test
  void theFormatFollowsTheFileName() {
    assertThat(EventLines.formatOf("history.csv.gz")).isEqualTo(EventLines.Format.CSV);
    assertThat(EventLines.formatOf("history.csv")).isEqualTo(EventLines.Format.CSV);
    assertThat(EventLines.formatOf("history.ndjson.gz")).isEqualTo(EventLines.Format.NDJSON);
    assertThat(EventLines.formatOf("events.jsonl")).isEqualTo(EventLines.Format.NDJSON);
  }

  private static List<EventLines.Line> read(EventLines.Format format, String text) {
    EventLines lines = new EventLines(new BufferedReader(new StringReader(text)), format, CLOCK, Duration.ofHours(1));
    List<EventLines.Line> all = new ArrayList<>();
    for (EventLines.Line line = lines.next(); line != null; line = lines.next()) {
      all.add(line);
    }
    return all;
  }
}
