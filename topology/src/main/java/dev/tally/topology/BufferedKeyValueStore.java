package dev.tally.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A write-back buffer in front of a key-value store: values live in a plain map between commits, and
 * each dirty key is written down once per commit, inside the commit ({@link WriteBackStore}), through
 * the changelogging layer, so a key touched a million times between two commits costs one store write
 * and one changelog record. When the buffer holds {@code maxEntries} keys it is written down early,
 * still inside the open transaction.
 *
 * <p>Reads through interactive queries see the buffer: a {@link KeyQuery} for a dirty key is answered
 * from it, with this store's position (every record it has taken), so read-your-writes holds without
 * waiting for a commit. A query is handed a copy of a mutable value ({@code copyForRead}).
 */
public final class BufferedKeyValueStore<K, V> extends WriteBackStore<KeyValueStore<K, V>, K, V> {

  private final int maxEntries;
  private final UnaryOperator<V> copyForRead;
  /** Dirty keys and their newest values. */
  private final Map<K, V> dirty = new HashMap<>();

  BufferedKeyValueStore(KeyValueStore<K, V> inner, TaskStores taskStores, int maxEntries,
      UnaryOperator<V> copyForRead) {
    super(inner, taskStores);
    this.maxEntries = maxEntries;
    this.copyForRead = copyForRead;
  }

  /** The value of {@code key}, buffered or stored; null if none. A mutable value is the live one. */
  public synchronized V get(K key) {
    return dirty.containsKey(key) ? dirty.get(key) : wrapped().get(key);
  }

  public synchronized void put(K key, V value) {
    dirty.put(key, value);
    position.record();
    if (dirty.size() >= maxEntries) {
      writeDown();
    }
  }

  @Override
  protected void writeDown() {
    dirty.forEach((key, value) -> wrapped().put(key, value));
    dirty.clear();
  }

  @Override
  protected void forget() {
    dirty.clear();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    Position current;
    synchronized (this) {
      current = queryPosition(bound);
      if (!position.reaches(bound, current)) {
        return QueryResult.notUpToBound(current, bound, null);
      }
      if (query instanceof KeyQuery<?, ?> keyQuery && dirty.containsKey(keyQuery.getKey())) {
        QueryResult<R> result = QueryResult.forResult((R) copyForRead.apply(dirty.get(keyQuery.getKey())));
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
