package dev.tally.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * A write-back buffer in front of a key-value store: values live in a plain map between commits, and
 * each dirty key is written down once per commit, through the changelogging layer, so a key touched a
 * million times between two commits costs one store write and one changelog record.
 *
 * <p>Exactly-once depends on <em>when</em> the buffer is written down. Kafka Streams (4.4.0) commits a
 * task as: {@code ProcessorStateManager.flushCache()}, which calls {@code flushCache()} on every store
 * that implements its internal {@code CachedStateStore}; then the record collector is flushed; then
 * the offsets and the transaction commit. This store is such a store ({@link WrappedStateStore} is a
 * {@code CachedStateStore}), so its dirty entries reach the changelog inside the transaction whose
 * offsets they belong to. {@code BufferedStoreHookTest} fails if Kafka moves that hook. When the buffer
 * holds {@code maxEntries} keys it is written down early, still inside the open transaction.
 *
 * <p>Reads through interactive queries see the buffer: a {@link KeyQuery} for a dirty key is answered
 * from it, with this store's position (every record it has taken), so read-your-writes holds without
 * waiting for a commit. A crash loses the buffer and the open transaction together; the task replays
 * from its last committed offsets.
 *
 * <p>Thread-safety: the stream thread updates, query threads read; every access to the map holds this
 * store's monitor, and a query is handed a copy of a mutable value ({@code copyForRead}).
 */
public final class BufferedKeyValueStore<K, V> extends WrappedStateStore<KeyValueStore<K, V>, K, V> {

  private final int maxEntries;
  private final UnaryOperator<V> copyForRead;
  /** Dirty keys; a null value is a deletion not yet written down. */
  private final Map<K, V> dirty = new HashMap<>();
  private final StorePosition position = new StorePosition();

  BufferedKeyValueStore(KeyValueStore<K, V> inner, int maxEntries, UnaryOperator<V> copyForRead) {
    super(inner);
    this.maxEntries = maxEntries;
    this.copyForRead = copyForRead;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    synchronized (this) {
      dirty.clear();
    }
    super.init(context, root);
    position.init(context);
  }

  /** The value of {@code key}, buffered or stored; null if none. A mutable value is the live one. */
  public synchronized V get(K key) {
    return dirty.containsKey(key) ? dirty.get(key) : wrapped().get(key);
  }

  /**
   * Replaces the value of {@code key} by {@code update} of it (null when absent), under this store's
   * monitor, so a query never sees a mutable value half updated. If {@code update} throws, nothing
   * changes.
   */
  public synchronized V update(K key, UnaryOperator<V> update) {
    V next = update.apply(get(key));
    buffer(key, next);
    return next;
  }

  public synchronized void put(K key, V value) {
    buffer(key, value);
  }

  public synchronized void delete(K key) {
    buffer(key, null);
  }

  /** Every key with a value, buffered or stored, in no particular order. */
  public synchronized List<KeyValue<K, V>> all() {
    Map<K, V> merged = new HashMap<>();
    try (KeyValueIterator<K, V> stored = wrapped().all()) {
      stored.forEachRemaining(entry -> merged.put(entry.key, entry.value));
    }
    merged.putAll(dirty);
    List<KeyValue<K, V>> result = new ArrayList<>(merged.size());
    merged.forEach((key, value) -> {
      if (value != null) {
        result.add(KeyValue.pair(key, value));
      }
    });
    return result;
  }

  private void buffer(K key, V value) {
    dirty.put(key, value);
    position.record();
    if (dirty.size() >= maxEntries) {
      writeDown();
    }
  }

  /** Writes every dirty key down to the store (and its changelog), then forgets them. */
  private void writeDown() {
    for (Map.Entry<K, V> entry : dirty.entrySet()) {
      if (entry.getValue() == null) {
        wrapped().delete(entry.getKey());
      } else {
        wrapped().put(entry.getKey(), entry.getValue());
      }
    }
    dirty.clear();
  }

  @Override
  public void flushCache() {
    synchronized (this) {
      writeDown();
    }
    super.flushCache();
  }

  /** A dirty close (a crash handled, a corrupted task): what was buffered belongs to an aborted transaction. */
  @Override
  public void clearCache() {
    synchronized (this) {
      dirty.clear();
    }
    super.clearCache();
  }

  @Override
  public void close() {
    synchronized (this) {
      dirty.clear();
    }
    super.close();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    Position current;
    synchronized (this) {
      current = position.of(wrapped());
      if (!position.reaches(bound, wrapped())) {
        return QueryResult.notUpToBound(current, bound, null);
      }
      if (query instanceof KeyQuery<?, ?> keyQuery && dirty.containsKey(keyQuery.getKey())) {
        V value = dirty.get(keyQuery.getKey());
        QueryResult<R> result = QueryResult.forResult((R) (value == null ? null : copyForRead.apply(value)));
        result.setPosition(current);
        return result;
      }
    }
    // Not buffered: the store holds this key's newest value, though its own position may trail this
    // store's (other keys still buffered), so the bound was checked above against this store's.
    QueryResult<R> result = wrapped().query(query, PositionBound.unbounded(), config);
    result.setPosition(current);
    return result;
  }
}
