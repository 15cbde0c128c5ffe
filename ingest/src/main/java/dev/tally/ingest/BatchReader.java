package dev.tally.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the body of a batch, a JSON array of event objects or NDJSON, one element or line at a time,
 * and applies the limits while it reads: past {@code maxBytes} bytes or {@code maxEvents} events it
 * stops with a {@link TooLargeException}, so a body of millions of lines costs no more memory than
 * {@code maxEvents} parsed objects. An NDJSON line that is not JSON is a rejection of that line.
 */
final class BatchReader {

  /** The events of a batch in order (null where a line did not parse) and the rejections so far. */
  record Batch(List<JsonNode> events, List<IngestService.Rejection> rejections) {}

  /** Bytes read at a time: about what a line reader reads ahead. */
  private static final int LINE_BUFFER = 8 * 1024;

  private final ObjectMapper json;
  /** One element of an array, which the rest of the array follows. */
  private final ObjectReader element;
  private final int maxEvents;
  private final long maxBytes;

  BatchReader(ObjectMapper json, int maxEvents, long maxBytes) {
    this.json = json;
    this.element = json.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
  }

  Batch read(InputStream body) {
    try (PushbackInputStream in = new PushbackInputStream(new Bounded(body, maxBytes), 1)) {
      int first = in.read();
      while (first != -1 && Character.isWhitespace(first)) {
        first = in.read();
      }
      if (first == -1) {
        return new Batch(List.of(), List.of());
      }
      in.unread(first);
      return first == '[' ? array(in) : lines(in);
    } catch (IOException e) {
      throw new UncheckedIOException("reading the request body", e);
    }
  }

  private Batch array(InputStream in) throws IOException {
    List<JsonNode> events = new ArrayList<>();
    try (JsonParser parser = json.getFactory().createParser(in)) {
      parser.nextToken();
      for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
        if (token == null) {
          throw new InvalidEventException("body is not valid JSON: the array is not closed");
        }
        count(events.size());
        events.add(element.readValue(parser));
      }
      if (parser.nextToken() != null) {
        throw new InvalidEventException("body is not valid JSON: content after the array");
      }
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("body is not valid JSON: " + e.getOriginalMessage());
    }
    return new Batch(events, List.of());
  }

  /**
   * NDJSON, parsed from the bytes of each line, so that a line whose bytes are not UTF-8 is rejected by
   * its index (a decoder would put U+FFFD in their place, and two different bad items would count as one
   * unique item). A line ends at {@code \n} or {@code \r}, as {@link java.io.BufferedReader#readLine}
   * ends one; blank lines are skipped. The buffer grows only for a line longer than it, which the body's
   * byte limit bounds, and each byte is scanned once however many reads a line takes.
   */
  private Batch lines(InputStream in) throws IOException {
    List<JsonNode> events = new ArrayList<>();
    List<IngestService.Rejection> rejections = new ArrayList<>();
    byte[] buffer = new byte[LINE_BUFFER];
    int start = 0; // of the current line
    int scanned = 0; // bytes of it known to hold no line break
    int end = 0; // of what was read
    while (true) {
      while (scanned < end && buffer[scanned] != '\n' && buffer[scanned] != '\r') {
        scanned++;
      }
      if (scanned < end) {
        line(buffer, start, scanned, events, rejections);
        start = ++scanned;
        continue;
      }
      // Keep the unfinished line, at the front of a buffer with room after it.
      if (start > 0) {
        System.arraycopy(buffer, start, buffer, 0, end - start);
        end -= start;
        scanned = end;
        start = 0;
      }
      if (end == buffer.length) {
        buffer = Arrays.copyOf(buffer, buffer.length * 2);
      }
      int read = in.read(buffer, end, buffer.length - end);
      if (read < 0) {
        line(buffer, 0, end, events, rejections);
        return new Batch(events, rejections);
      }
      end += read;
    }
  }

  private void line(byte[] buffer, int from, int to, List<JsonNode> events,
      List<IngestService.Rejection> rejections) {
    if (isBlank(buffer, from, to)) {
      return;
    }
    count(events.size());
    try {
      events.add(json.readTree(buffer, from, to - from));
    } catch (IOException e) {
      // Jackson's own errors, and the byte-level ones (a line its encoding detection takes for UTF-32).
      events.add(null);
      rejections.add(new IngestService.Rejection(events.size() - 1, "not valid JSON: "
          + (e instanceof JsonProcessingException parse ? parse.getOriginalMessage() : e.getMessage())));
    }
  }

  private static boolean isBlank(byte[] buffer, int from, int to) {
    for (int i = from; i < to; i++) {
      byte b = buffer[i];
      if (b != ' ' && b != '\t' && b != '\f' && b != 0x0B && (b < 0x1C || b > 0x1F)) {
        return false;
      }
    }
    return true;
  }

  private void count(int readSoFar) {
    if (readSoFar >= maxEvents) {
      throw new TooLargeException("a batch holds at most " + maxEvents + " events; send the rest in another");
    }
  }

  /** Stops reading past {@code max} bytes. */
  private static final class Bounded extends FilterInputStream {

    private final long max;
    private long read;

    Bounded(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b != -1) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    private void counted(int n) {
      read += n;
      if (read > max) {
        throw new TooLargeException("a request body holds at most " + max + " bytes");
      }
    }
  }
}
