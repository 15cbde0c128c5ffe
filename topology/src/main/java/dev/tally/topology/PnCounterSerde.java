package dev.tally.topology;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** {@link PnCounter} as 16 bytes: increments then decrements, big-endian. */
public final class PnCounterSerde implements Serde<PnCounter> {

  private static final int SIZE = 2 * Long.BYTES;

  @Override
  public Serializer<PnCounter> serializer() {
    return (topic, counter) -> counter == null ? null
        : ByteBuffer.allocate(SIZE).putLong(counter.increments()).putLong(counter.decrements()).array();
  }

  @Override
  public Deserializer<PnCounter> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      if (bytes.length != SIZE) {
        throw new SerializationException("PnCounter must be " + SIZE + " bytes, got " + bytes.length);
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      return new PnCounter(buffer.getLong(), buffer.getLong());
    };
  }

  /**
   * {@link PnCounter} as two variable-length (zig-zag) integers, increments then decrements: 2 bytes
   * for small counts, 20 at most. The values of a head ({@link HeadSerde}); window stores keep 16 bytes.
   */
  static Serde<PnCounter> packed() {
    return Serdes.serdeFrom(
        (topic, counter) -> {
          if (counter == null) {
            return null;
          }
          ByteBuffer buffer = ByteBuffer.allocate(
              Varints.size(counter.increments()) + Varints.size(counter.decrements()));
          Varints.write(counter.increments(), buffer);
          Varints.write(counter.decrements(), buffer);
          return buffer.array();
        },
        (topic, bytes) -> {
          if (bytes == null) {
            return null;
          }
          try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            PnCounter counter = new PnCounter(Varints.read(buffer), Varints.read(buffer));
            if (buffer.hasRemaining()) {
              throw new SerializationException(buffer.remaining() + " bytes after a packed PnCounter");
            }
            return counter;
          } catch (RuntimeException e) {
            throw e instanceof SerializationException s ? s
                : new SerializationException("not a packed PnCounter (" + bytes.length + " bytes)", e);
          }
        });
  }
}
