package dev.tally.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 12, item 5: the limits of a batch hold while it is read, not after. */
class BatchReaderTest {

  private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private final BatchReader reader = new BatchReader(json, 100, 64 * 1024);

  @Test
  void millionsOfInvalidLinesStopAtTheEventLimitHavingReadLittle() {
    Endless lines = new Endless("not json\n");
    assertThatThrownBy(() -> reader.read(lines)).isInstanceOf(TooLargeException.class)
        .hasMessageContaining("at most 100 events");
    assertThat(lines.served).as("bytes read before stopping").isLessThan(16 * 1024);
  }

  @Test
  void anArrayStopsAtTheEventLimitToo() {
    InputStream array = new SequenceOf("[", new Endless("{\"counter\":\"c\"},"));
    assertThatThrownBy(() -> reader.read(array)).isInstanceOf(TooLargeException.class);
  }

  @Test
  void aBodyStopsAtTheByteLimit() {
    Endless spaces = new Endless("        ");
    assertThatThrownBy(() -> reader.read(spaces)).isInstanceOf(TooLargeException.class)
        .hasMessageContaining("at most 65536 bytes");
    assertThat(spaces.served).isLessThan(128 * 1024);
  }

  @Test
  void aLineThatIsNotJsonIsRejectedByItsIndexAndTheRestRead() {
    BatchReader.Batch batch = reader.read(body("{\"counter\":\"a\"}\n\nnope\n{\"counter\":\"b\"} {\"counter\":\"c\"}\n"
        + "{\"counter\":\"d\"}"));
    assertThat(batch.events()).hasSize(4);
    assertThat(batch.events().get(0).get("counter").textValue()).isEqualTo("a");
    assertThat(batch.events().get(3).get("counter").textValue()).isEqualTo("d");
    assertThat(batch.rejections()).extracting(IngestService.Rejection::index).containsExactly(1, 2);
  }

  @Test
  void linesEndAtEitherLineBreakAndMayBeLongerThanWhatIsReadAtATime() {
    String item = "x".repeat(50_000);
    byte[] text = ("{\"counter\":\"a\"}\r\n \t\r{\"counter\":\"b\",\"item\":\"" + item + "\"}\r{\"counter\":\"c\u00e9\"}\n"
        + "\u0000\u0000\u0000{\n{\"counter\":\n").getBytes(StandardCharsets.UTF_8);
    byte[] notUtf8 = {'{', '"', 'c', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}', '\n'};
    byte[] both = Arrays.copyOf(text, text.length + notUtf8.length);
    System.arraycopy(notUtf8, 0, both, text.length, notUtf8.length);
    BatchReader.Batch batch = reader.read(new ByteArrayInputStream(both));
    assertThat(batch.events()).hasSize(6);
    assertThat(batch.events().get(1).get("item").textValue()).isEqualTo(item);
    assertThat(batch.events().get(2).get("counter").textValue()).isEqualTo("c\u00e9");
    assertThat(batch.rejections()).extracting(IngestService.Rejection::index).containsExactly(3, 4, 5);
    assertThat(batch.rejections()).allSatisfy(rejection -> assertThat(rejection.message()).startsWith("not valid JSON"));
  }

  /** A body of one long line, arriving in small reads, is scanned once, not once per read. */
  @Test
  @Timeout(10)
  void aLongLineInSmallReadsIsReadInLinearTime() {
    BatchReader big = new BatchReader(json, 100, 64L << 20);
    byte[] line = ("{\"counter\":\"a\",\"item\":\"" + "x".repeat(4 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
    InputStream trickle = new ByteArrayInputStream(line) {
      @Override
      public synchronized int read(byte[] buffer, int offset, int length) {
        return super.read(buffer, offset, Math.min(length, 64));
      }
    };
    assertThat(big.read(trickle).events()).hasSize(1);
  }

  @Test
  void anArrayIsReadElementByElementAndMustBeWhole() {
    assertThat(reader.read(body("  [{\"counter\":\"a\"}, {\"counter\":\"b\"}] \n")).events()).hasSize(2);
    assertThatThrownBy(() -> reader.read(body("[{\"counter\":\"a\"}"))).isInstanceOf(InvalidEventException.class);
    assertThatThrownBy(() -> reader.read(body("[{\"counter\":\"a\"}] {}"))).isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("after the array");
    assertThat(reader.read(body(" \n ")).events()).isEmpty();
  }

  private static InputStream body(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The same text over and over, without end; counts what it served. */
  private static final class Endless extends InputStream {
    private final byte[] text;
    private long served;

    Endless(String text) {
      this.text = text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int read() {
      return text[(int) (served++ % text.length)];
    }
  }

  private static final class SequenceOf extends InputStream {
    private final InputStream first;
    private final InputStream then;

    SequenceOf(String first, InputStream then) {
      this.first = body(first);
      this.then = then;
    }

    @Override
    public int read() throws java.io.IOException {
      int b = first.read();
      return b != -1 ? b : then.read();
    }
  }
}
