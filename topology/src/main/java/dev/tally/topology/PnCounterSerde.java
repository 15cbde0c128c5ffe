package dev.tally.topology;

import dev.tally.schemas.Varints;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
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
   * {@link PnCounter} in a head: two variable-length (zig-zag) integers, increments then decrements;
   * 2 bytes for small counts, 20 at most. Window stores keep the 16 bytes above.
   */
  static final PackedFormat<PnCounter> PACKED = new PackedFormat<>() {
    @Override
    public int size(PnCounter counter) {
      return Varints.size(counter.increments()) + Varints.size(counter.decrements());
    }

    @Override
    public void write(PnCounter counter, ByteBuffer buffer) {
      Varints.write(counter.increments(), buffer);
      Varints.write(counter.decrements(), buffer);
    }

    @Override
    public PnCounter read(ByteBuffer buffer) {
      return new PnCounter(Varints.read(buffer), Varints.read(buffer));
    }
  };
}
