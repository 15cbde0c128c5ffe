package dev.tally.topology;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The write-back buffer of {@link BufferedKeyValueStore} in front of a window store: each dirty
 * (key, window) is written down once per commit, inside the commit ({@link WriteBackStore}), and
 * {@link WindowKeyQuery} reads see the buffered windows over the stored ones.
 *
 * <p>A tier of a {@link HeadStore} holds only closed buckets; its {@link WindowKeyQuery} answers add the
 * key's open bucket from the head store (taking the head store's monitor first, as the head store
 * does when it writes here), and the head store's position, which has every record the tier took.
 */
public final class BufferedWindowStore<K, V> extends WriteBackStore<WindowStore<K, V>, K, V> {

  private final int maxEntries;
  private final UnaryOperator<V> copyForRead;
  /** The head store whose tier this is, or null. */
  private final String headStore;
  private final int tier;
  private final long retentionMs;
  /** The newest window start this store has taken, whose retention decides what is expired. */
  private long newestStart = Long.MIN_VALUE;
  /** Dirty windows by key, then by window start. */
  private final Map<K, Map<Long, V>> dirty = new HashMap<>();
  private int dirtyEntries;

  /**
   * @param headStore the name of the {@link HeadStore} this store is tier {@code tier} of, or null if
   *     it stands alone
   * @param retentionMs the window store's retention
   */
  BufferedWindowStore(WindowStore<K, V> inner, TaskStores taskStores, int maxEntries, UnaryOperator<V> copyForRead,
      String headStore, int tier, long retentionMs) {
    super(inner, taskStores);
    this.retentionMs = retentionMs;
    this.maxEntries = maxEntries;
    this.copyForRead = copyForRead;
    this.headStore = headStore;
    this.tier = tier;
  }

  /** The value of {@code key}'s window starting at {@code windowStart}, buffered or stored; null if none. */
  public synchronized V get(K key, long windowStart) {
    Map<Long, V> windows = dirty.get(key);
    V buffered = windows == null ? null : windows.get(windowStart);
    return buffered != null ? buffered : wrapped().fetch(key, windowStart);
  }

  /** Replaces that window's value by {@code update} of it (null when absent); nothing changes if it throws. */
  public synchronized V update(K key, long windowStart, UnaryOperator<V> update) {
    V next = update.apply(get(key, windowStart));
    if (dirty.computeIfAbsent(key, k -> new HashMap<>()).put(windowStart, next) == null) {
      dirtyEntries++;
    }
    newestStart = Math.max(newestStart, windowStart);
    position.record();
    if (dirtyEntries >= maxEntries) {
      writeDown();
    }
    return next;
  }

  @Override
  protected void writeDown() {
    // A window the store would drop as expired is not written: when event time ran ahead by more than
    // the retention within one commit, the window store dropped such writes with a warning each.
    long oldestLive = newestStart == Long.MIN_VALUE ? Long.MIN_VALUE : newestStart - retentionMs;
    for (Map.Entry<K, Map<Long, V>> key : dirty.entrySet()) {
      for (Map.Entry<Long, V> window : key.getValue().entrySet()) {
        if (window.getKey() > oldestLive) {
          wrapped().put(key.getKey(), window.getValue(), window.getKey());
        }
      }
    }
    forget();
  }

  @Override
  protected void forget() {
    dirty.clear();
    dirtyEntries = 0;
  }

  @Override
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    HeadStore<V> head = headStore == null || taskDir == null ? null : taskStores.find(headStore, partition);
    if (head == null) {
      synchronized (this) {
        return query(query, bound, config, null, null);
      }
    }
    synchronized (head) {
      synchronized (this) {
        return query(query, bound, config, head, head.position(bound));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config, HeadStore<V> head,
      Position headPosition) {
    Position current = queryPosition(bound);
    if (headPosition != null) {
      current = current.merge(headPosition);
    }
    if (!position.reaches(bound, current)) {
      return QueryResult.notUpToBound(current, bound, null);
    }
    QueryResult<R> stored = wrapped().query(query, PositionBound.unbounded(), config);
    if (query instanceof WindowKeyQuery<?, ?> windowQuery && stored.isSuccess()) {
      K key = (K) windowQuery.getKey();
      HeadStore.Bucket<V> open = head == null ? null : head.openBucket((String) key, tier);
      if (dirty.containsKey(key) || open != null) {
        long from = windowQuery.getTimeFrom().map(Instant::toEpochMilli).orElse(Long.MIN_VALUE);
        long to = windowQuery.getTimeTo().map(Instant::toEpochMilli).orElse(Long.MAX_VALUE);
        NavigableMap<Long, V> merged = new TreeMap<>();
        try (WindowStoreIterator<V> iterator = (WindowStoreIterator<V>) stored.getResult()) {
          iterator.forEachRemaining(window -> merged.put(window.key, window.value));
        }
        dirty.getOrDefault(key, Map.of()).forEach((start, value) -> {
          if (start >= from && start <= to) {
            merged.put(start, copyForRead.apply(value));
          }
        });
        if (open != null && open.start() >= from && open.start() <= to) {
          merged.merge(open.start(), open.value(), head::merge);
        }
        QueryResult<R> result = QueryResult.forResult((R) new ListWindowIterator<>(merged));
        result.setPosition(current);
        return result;
      }
    }
    stored.setPosition(current);
    return stored;
  }

  /** Windows, by start, read once. */
  private static final class ListWindowIterator<V> implements WindowStoreIterator<V> {
    private final Iterator<KeyValue<Long, V>> windows;
    private KeyValue<Long, V> next;

    ListWindowIterator(NavigableMap<Long, V> windows) {
      List<KeyValue<Long, V>> list = new ArrayList<>(windows.size());
      windows.forEach((start, value) -> list.add(KeyValue.pair(start, value)));
      this.windows = list.iterator();
      this.next = this.windows.hasNext() ? this.windows.next() : null;
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public KeyValue<Long, V> next() {
      if (next == null) {
        throw new NoSuchElementException();
      }
      KeyValue<Long, V> current = next;
      next = windows.hasNext() ? windows.next() : null;
      return current;
    }

    @Override
    public Long peekNextKey() {
      if (next == null) {
        throw new NoSuchElementException();
      }
      return next.key;
    }

    @Override
    public void close() {}
  }
}
