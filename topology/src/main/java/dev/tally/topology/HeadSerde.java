package dev.tally.topology;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A {@link Head} as a version byte ({@code 0x81}), its total, the number of tiers, and for each tier
 * its bucket size, its open bucket's start and value; each value as a length (-1 for none) and the
 * bytes of {@code values}. Tiers are matched by size, so a tier added to or dropped from the
 * configuration only loses its own open bucket. A value whose first byte is below {@code 0x80} is a bare total in the layout before
 * heads (a {@link PnCounter} or a compact {@code HllSketch}, whose first bytes are always small), read as
 * a head with no open buckets: a store written by an earlier build reads on unchanged.
 */
final class HeadSerde<V> implements Serde<Head<V>> {

  private static final byte VERSION = (byte) 0x81;

  private final Serde<V> values;
  private final List<Tier> tiers;

  HeadSerde(Serde<V> values, List<Tier> tiers) {
    this.values = values;
    this.tiers = List.copyOf(tiers);
  }

  @Override
  public Serializer<Head<V>> serializer() {
    return (topic, head) -> {
      if (head == null) {
        return null;
      }
      byte[] total = values.serializer().serialize(topic, head.total);
      byte[][] open = new byte[head.tiers()][];
      int size = 1 + 4 + length(total) + 4;
      for (int i = 0; i < open.length; i++) {
        open[i] = head.open[i] == null ? null : values.serializer().serialize(topic, head.open(i));
        size += 8 + 8 + 4 + length(open[i]);
      }
      ByteBuffer buffer = ByteBuffer.allocate(size).put(VERSION);
      put(buffer, total);
      buffer.putInt(open.length);
      for (int i = 0; i < open.length; i++) {
        buffer.putLong(tiers.get(i).sizeMs()).putLong(head.starts[i]);
        put(buffer, open[i]);
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
        if (buffer.get() != VERSION) {
          throw new SerializationException("unknown head version " + bytes[0]);
        }
        head.total = get(buffer, topic);
        int stored = buffer.getInt();
        for (int i = 0; i < stored; i++) {
          long size = buffer.getLong();
          long start = buffer.getLong();
          V value = get(buffer, topic);
          for (int t = 0; t < tiers.size(); t++) {
            if (tiers.get(t).sizeMs() == size) {
              head.starts[t] = start;
              head.open[t] = value;
            }
          }
        }
        return head;
      } catch (RuntimeException e) {
        throw e instanceof SerializationException s ? s
            : new SerializationException("not a serialized head (" + bytes.length + " bytes)", e);
      }
    };
  }

  private static int length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  private static void put(ByteBuffer buffer, byte[] bytes) {
    if (bytes == null) {
      buffer.putInt(-1);
    } else {
      buffer.putInt(bytes.length).put(bytes);
    }
  }

  private V get(ByteBuffer buffer, String topic) {
    int length = buffer.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    buffer.get(bytes);
    return values.deserializer().deserialize(topic, bytes);
  }
}
