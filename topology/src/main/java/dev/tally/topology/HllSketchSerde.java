package dev.tally.topology;

import dev.tally.schemas.Varints;
import java.nio.ByteBuffer;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link HllSketch} in the library's compact serialized form: the smallest image for its mode (a short
 * coupon list for few items, the dense HLL_4 array beyond). Read back as an updatable heap sketch; the
 * format is DataSketches' own, stable across its releases.
 */
public final class HllSketchSerde implements Serde<HllSketch> {

  @Override
  public Serializer<HllSketch> serializer() {
    return (topic, sketch) -> sketch == null ? null : sketch.toCompactByteArray();
  }

  @Override
  public Deserializer<HllSketch> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return HllSketch.heapify(bytes);
      } catch (RuntimeException e) {
        throw new SerializationException("not a serialized HllSketch (" + bytes.length + " bytes)", e);
      }
    };
  }

  /** A sketch in a head: the length of its compact form, then that form. */
  static final PackedFormat<HllSketch> PACKED = new PackedFormat<>() {
    @Override
    public int size(HllSketch sketch) {
      int bytes = sketch.getCompactSerializationBytes();
      return Varints.size(bytes) + bytes;
    }

    @Override
    public void write(HllSketch sketch, ByteBuffer buffer) {
      byte[] bytes = sketch.toCompactByteArray();
      Varints.write(bytes.length, buffer);
      buffer.put(bytes);
    }

    @Override
    public HllSketch read(ByteBuffer buffer) {
      int length = Varints.readInt(buffer);
      if (length < 0 || length > buffer.remaining()) {
        throw new SerializationException("a sketch of " + length + " bytes where " + buffer.remaining() + " remain");
      }
      byte[] bytes = new byte[length];
      buffer.get(bytes);
      return HllSketch.heapify(bytes);
    }
  };
}
