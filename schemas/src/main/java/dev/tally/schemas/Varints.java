package dev.tally.schemas;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Variable-length integers as Avro and Protocol Buffers write them: zig-zag, then seven bits a byte,
 * lowest first, the high bit set on every byte but the last. Small numbers, negative ones too, take
 * one or two bytes; a long takes ten at most.
 */
public final class Varints {

  private Varints() {}

  public static int size(long value) {
    long zigZag = zigZag(value);
    return zigZag == 0 ? 1 : (63 - Long.numberOfLeadingZeros(zigZag)) / 7 + 1;
  }

  public static void write(long value, ByteBuffer buffer) {
    long zigZag = zigZag(value);
    while ((zigZag & ~0x7FL) != 0) {
      buffer.put((byte) ((zigZag & 0x7F) | 0x80));
      zigZag >>>= 7;
    }
    buffer.put((byte) zigZag);
  }

  /** Small magnitudes, negative or not, to small unsigned numbers: 0, -1, 1, -2 ... to 0, 1, 2, 3 ... */
  private static long zigZag(long value) {
    return (value << 1) ^ (value >> 63);
  }

  public static long read(ByteBuffer buffer) {
    long zigZag = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = buffer.get();
      zigZag |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return (zigZag >>> 1) ^ -(zigZag & 1);
      }
    }
    throw new SerializationException("a variable-length integer longer than 10 bytes");
  }

  /** {@link #read} of a value that must fit an int. */
  public static int readInt(ByteBuffer buffer) {
    long value = read(buffer);
    if (value != (int) value) {
      throw new SerializationException("expected an int, read " + value);
    }
    return (int) value;
  }
}
