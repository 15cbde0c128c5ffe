package dev.tally.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class VarintsTest {

  @Test
  void everyLongReadsBackInTheBytesItsSizeGives() {
    Random random = new Random(11);
    LongStream edges = LongStream.of(0, 1, -1, 63, 64, -64, -65, 127, 128, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1);
    LongStream seeded = LongStream.generate(() -> random.nextLong() >> random.nextInt(64)).limit(20_000);
    LongStream.concat(edges, seeded).forEach(value -> {
      ByteBuffer buffer = ByteBuffer.allocate(Varints.size(value));
      Varints.write(value, buffer);
      assertThat(buffer.hasRemaining()).as("%d filled its size", value).isFalse();
      assertThat(Varints.read(buffer.flip())).isEqualTo(value);
    });
    assertThat(Varints.size(63)).isEqualTo(1);
    assertThat(Varints.size(-64)).isEqualTo(1);
    assertThat(Varints.size(64)).isEqualTo(2);
    assertThat(Varints.size(Long.MIN_VALUE)).isEqualTo(10);
  }

  @Test
  void anIntThatDoesNotFitIsRefused() {
    ByteBuffer buffer = ByteBuffer.allocate(10);
    Varints.write(1L << 40, buffer);
    assertThatThrownBy(() -> Varints.readInt(buffer.flip())).isInstanceOf(SerializationException.class);
    byte[] endless = new byte[12];
    Arrays.fill(endless, (byte) 0x80);
    assertThatThrownBy(() -> Varints.read(ByteBuffer.wrap(endless))).isInstanceOf(SerializationException.class);
  }
}
