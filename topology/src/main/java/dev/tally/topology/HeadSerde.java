package dev.tally.topology;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A {@link Head} as a version byte ({@code 0x82}), its total, and its open buckets: their number, and
 * for each its tier's size, its start as a multiple of that size, and its value; every number a
 * variable-length (zig-zag) integer, each value a length and the bytes of {@code packed}. A head of
 * small counts then takes 35 bytes where fixed-width fields took 133, in RocksDB and in each
 * changelog record. Tiers are matched by size, so a tier added to or dropped from the configuration
 * only loses its own open bucket.
 *
 * <p>Earlier layouts read on unchanged: version {@code 0x81} (fixed-width fields, values in
 * {@code values}' format, a slot for every tier), and a bare total in {@code values}' format, from
 * before heads (a {@link PnCounter} or a compact {@code HllSketch}, whose first byte is always below
 * {@code 0x80}), read as a head with no open bucket.
 */
final class HeadSerde<V> implements Serde<Head<V>> {

  private static final byte FIXED = (byte) 0x81;
  private static final byte PACKED = (byte) 0x82;

  private final Serde<V> values;
  private final Serde<V> packed;
  private final List<Tier> tiers;

  /**
   * @param values the format of a bare total and of the values of version {@code 0x81}
   * @param packed the format of the values this serde writes
   */
  HeadSerde(Serde<V> values, Serde<V> packed, List<Tier> tiers) {
    this.values = values;
    this.packed = packed;
    this.tiers = List.copyOf(tiers);
  }

  @Override
  public Serializer<Head<V>> serializer() {
    return (topic, head) -> {
      if (head == null) {
        return null;
      }
      byte[] total = packed.serializer().serialize(topic, head.total);
      byte[][] open = new byte[head.tiers()][];
      int buckets = 0;
      int size = 1 + sizeOf(total);
      for (int i = 0; i < open.length; i++) {
        if (head.open[i] != null) {
          open[i] = packed.serializer().serialize(topic, head.open(i));
          long sizeMs = tiers.get(i).sizeMs();
          size += Varints.size(sizeMs) + Varints.size(head.starts[i] / sizeMs) + sizeOf(open[i]);
          buckets++;
        }
      }
      size += Varints.size(buckets);
      ByteBuffer buffer = ByteBuffer.allocate(size).put(PACKED);
      put(buffer, total);
      Varints.write(buckets, buffer);
      for (int i = 0; i < open.length; i++) {
        if (open[i] != null) {
          long sizeMs = tiers.get(i).sizeMs();
          Varints.write(sizeMs, buffer);
          Varints.write(head.starts[i] / sizeMs, buffer);
          put(buffer, open[i]);
        }
      }
      return buffer.array();
    };
  }

  @Override
  public Deserializer<Head<V>> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      Head<V> head = new Head<>(tiers.size());
      if (bytes.length > 0 && bytes[0] >= 0) {
        head.total = values.deserializer().deserialize(topic, bytes);
        return head;
      }
      try {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        byte version = buffer.get();
        if (version == PACKED) {
          head.total = getPacked(buffer, topic);
          int buckets = Varints.readInt(buffer);
          for (int i = 0; i < buckets; i++) {
            long sizeMs = Varints.read(buffer);
            open(head, sizeMs, Varints.read(buffer) * sizeMs, getPacked(buffer, topic));
          }
        } else if (version == FIXED) {
          head.total = getFixed(buffer, topic);
          int stored = buffer.getInt();
          for (int i = 0; i < stored; i++) {
            long sizeMs = buffer.getLong();
            open(head, sizeMs, buffer.getLong(), getFixed(buffer, topic));
          }
        } else {
          throw new SerializationException("unknown head version " + version);
        }
        return head;
      } catch (RuntimeException e) {
        throw e instanceof SerializationException s ? s
            : new SerializationException("not a serialized head (" + bytes.length + " bytes)", e);
      }
    };
  }

  /** Puts an open bucket in the slot of the configured tier of {@code sizeMs}, if there is one. */
  private void open(Head<V> head, long sizeMs, long start, V value) {
    for (int t = 0; t < tiers.size(); t++) {
      if (tiers.get(t).sizeMs() == sizeMs) {
        head.starts[t] = start;
        head.open[t] = value;
      }
    }
  }

  /** A length (-1 for none) and the bytes. */
  private static int sizeOf(byte[] bytes) {
    return bytes == null ? 1 : Varints.size(bytes.length) + bytes.length;
  }

  private static void put(ByteBuffer buffer, byte[] bytes) {
    if (bytes == null) {
      Varints.write(-1, buffer);
    } else {
      Varints.write(bytes.length, buffer);
      buffer.put(bytes);
    }
  }

  private V getPacked(ByteBuffer buffer, String topic) {
    int length = Varints.readInt(buffer);
    return length < 0 ? null : packed.deserializer().deserialize(topic, take(buffer, length));
  }

  private V getFixed(ByteBuffer buffer, String topic) {
    int length = buffer.getInt();
    return length < 0 ? null : values.deserializer().deserialize(topic, take(buffer, length));
  }

  private static byte[] take(ByteBuffer buffer, int length) {
    byte[] bytes = new byte[length];
    buffer.get(bytes);
    return bytes;
  }
}
