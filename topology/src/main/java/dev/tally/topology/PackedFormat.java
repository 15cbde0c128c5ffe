package dev.tally.topology;

import java.nio.ByteBuffer;

/**
 * How a head ({@link HeadSerde}) writes a value of its own: straight into the head's buffer, in a form
 * that knows its own end (a counter's two varints need no length; a sketch writes its own).
 *
 * @param <V> the value: a {@link PnCounter} or an {@code HllSketch}
 */
interface PackedFormat<V> {

  /** The bytes {@link #write} takes for {@code value}. */
  int size(V value);

  void write(V value, ByteBuffer buffer);

  /** The value at the buffer's position; the position moves past it. */
  V read(ByteBuffer buffer);
}
