package dev.tally.topology;

import java.util.List;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

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
final class WriteDownPosition extends WrappedStateStore<KeyValueStore<Bytes, byte[]>, Bytes, byte[]>
    implements KeyValueStore<Bytes, byte[]> {

  private boolean frozen;
  private Position position;

  private WriteDownPosition(KeyValueStore<Bytes, byte[]> inner) {
    super(inner);
  }

  /** {@code rocks}, with each store it supplies wrapped in this layer. */
  static KeyValueBytesStoreSupplier around(KeyValueBytesStoreSupplier rocks) {
    return new KeyValueBytesStoreSupplier() {
      @Override
      public String name() {
        return rocks.name();
      }

      @Override
      public KeyValueStore<Bytes, byte[]> get() {
        return new WriteDownPosition(rocks.get());
      }

      @Override
      public String metricsScope() {
        return rocks.metricsScope();
      }
    };
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

  @Override
  public void put(Bytes key, byte[] value) {
    wrapped().put(key, value);
  }

  @Override
  public byte[] putIfAbsent(Bytes key, byte[] value) {
    return wrapped().putIfAbsent(key, value);
  }

  @Override
  public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
    wrapped().putAll(entries);
  }

  @Override
  public byte[] delete(Bytes key) {
    return wrapped().delete(key);
  }

  @Override
  public byte[] get(Bytes key) {
    return wrapped().get(key);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
    return wrapped().range(from, to);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
    return wrapped().reverseRange(from, to);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return wrapped().all();
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseAll() {
    return wrapped().reverseAll();
  }

  @Override
  public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix, PS prefixKeySerializer) {
    return wrapped().prefixScan(prefix, prefixKeySerializer);
  }

  @Override
  public long approximateNumEntries() {
    return wrapped().approximateNumEntries();
  }

  @Override
  public ReadOnlyKeyValueStore<Bytes, byte[]> readOnly(IsolationLevel isolationLevel) {
    return wrapped().readOnly(isolationLevel);
  }
}
