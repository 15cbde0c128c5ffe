package dev.tally.topology;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The layer between Kafka's changelogging layer and its RocksDB store under a {@link HeadStore}: while a
 * write-down runs ({@link #freeze}), the store's position is copied once, not once per changelog record.
 *
 * <p>Kafka's changelogging layer asks the store beneath for its position after every put, to pass it
 * along with the changelog record; RocksDB's copies its position map for each ask, and Kafka uses the
 * copy only when its internal consistency vectors are on. A write-down writes many keys for the same
 * last processed record, so the position after its first put is the position after every put: the
 * copy cost a tenth of a counting thread on uniform keys. Outside a write-down every ask goes through.
 */
final class WriteDownPosition extends PassingKeyValueStore {

  private boolean frozen;
  private Position position;

  private WriteDownPosition(KeyValueStore<Bytes, byte[]> inner) {
    super(inner);
  }

  /** {@code rocks}, with each store it supplies wrapped in this layer. */
  static KeyValueBytesStoreSupplier around(KeyValueBytesStoreSupplier rocks) {
    return layered(rocks, WriteDownPosition::new);
  }

  /** Until {@link #thaw}, nothing but the stream thread's write-down touches the store. */
  void freeze() {
    frozen = true;
    position = null;
  }

  void thaw() {
    frozen = false;
    position = null;
  }

  @Override
  public Position getPosition() {
    if (!frozen) {
      return wrapped().getPosition();
    }
    if (position == null) {
      position = wrapped().getPosition();
    }
    return position;
  }
}
