package dev.tally.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.tally.schemas.IncrementEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Events from a file, one per line, in the shape {@code POST /v1/events} takes: NDJSON objects, or CSV
 * whose header names some of {@code counter,delta,item,eventTime,eventId} (a row's empty value is an
 * absent field; quoted values may hold commas, not line breaks). Each line is checked by the same rules
 * as the HTTP API; a bad one is returned with its reason, and reading goes on. Not thread-safe.
 */
public final class EventLines {

  /**
   * One line of the file, numbered from 1: its event, or the reason it has none. Blank lines are
   * skipped, the CSV header is not returned.
   */
  public record Line(long number, String text, IncrementEvent event, String problem) {}

  public enum Format { NDJSON, CSV }

  private static final Set<String> FIELDS = Set.of("counter", "delta", "item", "eventTime", "eventId");
  private static final Pattern INTEGER = Pattern.compile("-?\\d+");

  private final BufferedReader reader;
  private final Format format;
  private final Clock clock;
  private final Duration maxFutureSkew;
  private final ObjectMapper json = new ObjectMapper();
  private final ObjectReader csv = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY).readerFor(String[].class);
  private List<String> columns;
  private long number;

  /**
   * @param maxFutureSkew how far past now an event time may lie (the topology's limit)
   */
  public EventLines(BufferedReader reader, Format format, Clock clock, Duration maxFutureSkew) {
    this.reader = reader;
    this.format = format;
    this.clock = clock;
    this.maxFutureSkew = maxFutureSkew;
  }

  /** The format a file name says: {@code .csv} (before any {@code .gz}) is CSV, anything else NDJSON. */
  public static Format formatOf(String fileName) {
    String name = fileName.endsWith(".gz") ? fileName.substring(0, fileName.length() - 3) : fileName;
    return name.endsWith(".csv") ? Format.CSV : Format.NDJSON;
  }

  /**
   * The next non-blank line, or null at the end of the input.
   *
   * @throws InvalidEventException if a CSV file's header is missing or names an unknown column
   */
  public Line next() {
    String text;
    try {
      do {
        text = reader.readLine();
        number++;
      } while (text != null && text.isBlank());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read line " + number, e);
    }
    if (text == null) {
      return null;
    }
    if (format == Format.CSV && columns == null) {
      columns = header(text);
      return next();
    }
    try {
      JsonNode node = format == Format.CSV ? row(text) : json.readTree(text);
      return new Line(number, text, EventParser.parse(node, null, clock.instant(), maxFutureSkew), null);
    } catch (InvalidEventException e) {
      return new Line(number, text, null, e.getMessage());
    } catch (JsonProcessingException e) {
      return new Line(number, text, null, (format == Format.CSV ? "not a CSV row: " : "not a JSON object: ")
          + e.getOriginalMessage());
    }
  }

  private List<String> header(String text) {
    List<String> names;
    try {
      names = Arrays.stream(values(text)).map(String::strip).toList();
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("line " + number + ": not a CSV header: " + e.getOriginalMessage());
    }
    Set<String> seen = new HashSet<>();
    for (String name : names) {
      if (!FIELDS.contains(name) || !seen.add(name)) {
        throw new InvalidEventException("line " + number + ": the CSV header must name some of " + FIELDS
            + ", each once; got '" + name + "'");
      }
    }
    return names;
  }

  /** One line's values: quoted ones may hold commas and doubled quotes. */
  private String[] values(String text) throws JsonProcessingException {
    try (MappingIterator<String[]> rows = csv.readValues(text)) {
      return rows.hasNextValue() ? rows.nextValue() : new String[0];
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode row(String text) throws JsonProcessingException {
    String[] values = values(text);
    if (values.length != columns.size()) {
      throw new InvalidEventException("has " + values.length + " values for the " + columns.size()
          + " columns of the header");
    }
    ObjectNode node = json.createObjectNode();
    for (int i = 0; i < values.length; i++) {
      String name = columns.get(i);
      String value = values[i];
      if (value.isEmpty()) {
        continue;
      }
      if ((name.equals("delta") || name.equals("eventTime")) && INTEGER.matcher(value).matches()) {
        node.set(name, json.getNodeFactory().numberNode(new BigInteger(value)));
      } else {
        node.put(name, value);
      }
    }
    return node;
  }
}
