package dev.tally.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * A shard key's all-time value and the open bucket of each of its tiers, as one {@link Head} per key
 * behind a write-back buffer ({@link WriteBackStore}): an event costs one read of this store and, per
 * commit, one write and one changelog record, where separate stores cost one of each per tier too. A
 * bucket moves to its tier's window store ({@link BufferedWindowStore}) only when a newer bucket of
 * that tier opens for the key, or an event lands in an older one; so the tier stores hold the closed
 * buckets, and a tier's reads add the open one from here.
 *
 * <p>Interactive queries: a {@link KeyQuery} answers the key's all-time value, as the store held it
 * before heads; the tier stores' {@code WindowKeyQuery} answers include the open bucket. A tier store
 * takes this store's monitor before its own, as {@link #add} does, so a read never sees a bucket half
 * moved.
 *
 * @param <V> a bucket's value: {@link PnCounter}, or a mutable {@code HllSketch} updated in place
 */
public final class HeadStore<V> extends WriteBackStore<KeyValueStore<String, Head<V>>, String, Head<V>> {

  /** An open bucket: its start and (a copy of) its value. */
  public record Bucket<V>(long start, V value) {}

  /**
   * When the buffer is written down early, ahead of the commit: at {@code maxKeys} keys or, with a
   * {@code weigher} (the heap a value takes, roughly), once its values weigh {@code maxBytes}.
   */
  record Bound<V>(int maxKeys, ToIntFunction<V> weigher, long maxBytes) {
    static <V> Bound<V> keys(int maxKeys) {
      return new Bound<>(maxKeys, null, Long.MAX_VALUE);
    }
  }

  private final List<Tier> tiers;
  private final BinaryOperator<V> merge;
  private final UnaryOperator<V> copy;
  private final Bound<V> bound;
  /** With a weigher: what the buffered values weigh. */
  private long bufferedBytes;
  /** The layer beneath that copies the store's position once per write-down; null if there is none. */
  private final WriteDownPosition positions;
  /** Dirty keys and their heads. */
  private final Map<String, Head<V>> dirty = new HashMap<>();
  private List<BufferedWindowStore<String, V>> tierStores;

  /**
   * @param merge the sum of two values of one bucket (the stored part and the open part)
   * @param copy a copy of a value that a query may keep
   */
  HeadStore(KeyValueStore<String, Head<V>> inner, TaskStores taskStores, List<Tier> tiers, Bound<V> bound,
      BinaryOperator<V> merge, UnaryOperator<V> copy) {
    super(inner, taskStores);
    this.tiers = List.copyOf(tiers);
    this.bound = bound;
    this.positions = inner instanceof WrappedStateStore<?, ?, ?> layers
        ? layers.findInner(WriteDownPosition.class) : null;
    this.merge = merge;
    this.copy = copy;
  }

  List<Tier> tiers() {
    return tiers;
  }

  /** The all-time value of {@code key}, buffered or stored; null if none. A mutable value is the live one. */
  public synchronized V total(String key) {
    Head<V> head = head(key);
    return head == null ? null : head.total;
  }

  /**
   * Adds an event of {@code key} by {@code add} (given the old value, null when absent, it returns the
   * new one, or updates a mutable one in place): to the all-time value and, unless {@code eventTime}
   * is {@link Head#NONE}, to the bucket of each tier that holds {@code eventTime}. If {@code add} throws
   * on the all-time value, nothing changes. Buckets can never overflow where the total does not: each
   * holds a subset of the total's events.
   *
   * @param streamTime the newest event time of the task: a bucket older than its tier's retention from
   *     it is dropped (a closed one, or one an old event names), as its window store would drop it
   * @return the key's new all-time value
   */
  public synchronized V add(String key, long eventTime, long streamTime, UnaryOperator<V> add) {
    Head<V> head = dirty.get(key);
    boolean buffered = head != null;
    if (!buffered) {
      head = wrapped().get(key);
    }
    long weightBefore = buffered ? weight(head) : 0;
    V total = add.apply(head == null ? null : head.total);
    if (head == null) {
      head = new Head<>(tiers.size());
    }
    head.total = total;
    if (eventTime != Head.NONE) {
      for (int i = 0; i < tiers.size(); i++) {
        Tier tier = tiers.get(i);
        long start = tier.bucketStart(eventTime);
        if (start <= streamTime - tier.retention().toMillis()) {
          continue; // only a backfilled event is this old: it counts in the coarser tiers and the total
        }
        if (start == head.starts[i]) {
          head.open[i] = add.apply(head.open(i));
        } else if (start > head.starts[i]) {
          V closed = head.open(i);
          long closedStart = head.starts[i];
          if (closed != null && closedStart > streamTime - tier.retention().toMillis()) {
            tierStore(i).update(key, closedStart, stored -> stored == null ? closed : merge.apply(stored, closed));
          }
          head.starts[i] = start;
          head.open[i] = add.apply(null);
        } else {
          tierStore(i).update(key, start, add);
        }
      }
    }
    if (!buffered) {
      dirty.put(key, head);
    }
    bufferedBytes += weight(head) - weightBefore;
    position.record();
    if (dirty.size() >= bound.maxKeys() || bufferedBytes >= bound.maxBytes()) {
      writeDown();
    }
    return total;
  }

  /** What {@code head}'s values weigh; 0 without a weigher. */
  private long weight(Head<V> head) {
    ToIntFunction<V> weigher = bound.weigher();
    if (weigher == null) {
      return 0;
    }
    long bytes = head.total == null ? 0 : weigher.applyAsInt(head.total);
    for (int i = 0; i < head.tiers(); i++) {
      if (head.open[i] != null) {
        bytes += weigher.applyAsInt(head.open(i));
      }
    }
    return bytes;
  }

  /** A copy of {@code key}'s open bucket in tier {@code tier}, or null. */
  synchronized Bucket<V> openBucket(String key, int tier) {
    Head<V> head = head(key);
    return head == null || head.open[tier] == null ? null : new Bucket<>(head.starts[tier], copy.apply(head.open(tier)));
  }

  /** The sum of two values of one bucket. */
  V merge(V a, V b) {
    return merge.apply(a, b);
  }

  /** This store's position for a query bounded by {@code bound} (see {@link WriteBackStore}). */
  synchronized Position position(PositionBound bound) {
    return queryPosition(bound);
  }

  private Head<V> head(String key) {
    Head<V> head = dirty.get(key);
    return head != null ? head : wrapped().get(key);
  }

  private BufferedWindowStore<String, V> tierStore(int tier) {
    if (tierStores == null) {
      List<BufferedWindowStore<String, V>> found = new ArrayList<>();
      for (Tier t : tiers) {
        BufferedWindowStore<String, V> store = taskStores.find(t.store(), partition);
        if (store == null) {
          throw new IllegalStateException("store " + t.store() + " of tier " + t.size() + " is not open in "
              + taskDir + "; it must be connected to the same processor as " + name());
        }
        found.add(store);
      }
      tierStores = found;
    }
    return tierStores.get(tier);
  }

  @Override
  protected void writeDown() {
    if (positions != null) {
      positions.freeze();
    }
    try {
      dirty.forEach((key, head) -> wrapped().put(key, head));
    } finally {
      if (positions != null) {
        positions.thaw();
      }
    }
    dirty.clear();
    bufferedBytes = 0;
  }

  @Override
  protected void forget() {
    dirty.clear();
    bufferedBytes = 0;
    tierStores = null;
  }

  @Override
  @SuppressWarnings("unchecked")
  public synchronized <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    Position current = queryPosition(bound);
    if (!position.reaches(bound, current)) {
      return QueryResult.notUpToBound(current, bound, null);
    }
    if (!(query instanceof KeyQuery<?, ?> keyQuery)) {
      return QueryResult.forUnknownQueryType(query, this);
    }
    Head<V> head = head((String) keyQuery.getKey());
    QueryResult<R> result = QueryResult.forResult((R) (head == null ? null : copy.apply(head.total)));
    result.setPosition(current);
    return result;
  }
}
