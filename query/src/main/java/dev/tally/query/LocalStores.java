package dev.tally.query;

import dev.tally.schemas.ShardKeys;
import dev.tally.topology.CounterTopology;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TaskStores;
import dev.tally.topology.TopCounters;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.query.FailureReason;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Reads this instance's copies of the stores through IQv2: the active copy, or with {@code allowStandby}
 * a standby copy too. Never forwards: a partition that is not here is {@link StateUnavailableException}.
 */
public final class LocalStores {

  private static final QueryConfig DIRECT = new QueryConfig(false);
  /** How long a partition's metadata is used before it is asked for again, at most. */
  private static final Duration METADATA_TTL = Duration.ofSeconds(1);

  private record CachedMetadata(KeyQueryMetadata metadata, long readAtNanos) {}

  private final KafkaStreams streams;
  private final StoreCopies copies;
  private final HostInfo self;
  private final Clock clock;
  private final int partitions;
  private final TaskStores taskStores;
  /** Key metadata by store and partition (see {@link #metadata}). */
  private final Map<String, CachedMetadata[]> metadataCache = new ConcurrentHashMap<>();

  /**
   * @param partitions the partition count of the input topics, which the stores share; 0 if unknown,
   *     and then every read asks Kafka Streams where its key lives
   * @param taskStores where the topology's stores register, so that reads of an active copy go to it
   *     directly (see {@link #query})
   */
  public LocalStores(KafkaStreams streams, StoreCopies copies, HostInfo self, Clock clock, int partitions,
      TaskStores taskStores) {
    this.streams = streams;
    this.copies = copies;
    this.self = self;
    this.clock = clock;
    this.partitions = partitions;
    this.taskStores = taskStores;
  }

  public HostInfo self() {
    return self;
  }

  KafkaStreams streams() {
    return streams;
  }

  /**
   * Where {@code key} of {@code store} lives: never null, maybe {@link KeyQueryMetadata#NOT_AVAILABLE}.
   *
   * <p>What Kafka Streams answers depends on the key's partition only, and asking it costs a sixth of a
   * local read (it looks up the store's source topics and copies its configuration each time). So the
   * answer is kept per partition, for at most {@link #METADATA_TTL}, and dropped by
   * {@link #forgetMetadata()} at every state change of Kafka Streams (a rebalance) and before the
   * {@link Router} retries. A stale entry cannot make a copy answer that should not: each copy checks
   * that it is active ({@link #fetch}), and a peer checks its own.
   */
  KeyQueryMetadata metadata(String store, String key) {
    if (partitions <= 0) {
      return askMetadata(store, key);
    }
    int partition = ShardKeys.partitionOf(key.getBytes(StandardCharsets.UTF_8), partitions);
    CachedMetadata[] byPartition = metadataCache.computeIfAbsent(store, name -> new CachedMetadata[partitions]);
    CachedMetadata cached = byPartition[partition];
    long now = System.nanoTime();
    if (cached != null && now - cached.readAtNanos() < METADATA_TTL.toNanos()) {
      return cached.metadata();
    }
    KeyQueryMetadata metadata = askMetadata(store, key);
    if (Router.hasOwner(metadata) && metadata.partition() == partition) {
      byPartition[partition] = new CachedMetadata(metadata, now);
    }
    return metadata;
  }

  /** Forgets every partition's metadata: the next read of each asks Kafka Streams again. */
  public void forgetMetadata() {
    metadataCache.clear();
  }

  private KeyQueryMetadata askMetadata(String store, String key) {
    try {
      KeyQueryMetadata metadata = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
      return metadata == null ? KeyQueryMetadata.NOT_AVAILABLE : metadata;
    } catch (IllegalStateException e) {
      // Not RUNNING or REBALANCING yet.
      return KeyQueryMetadata.NOT_AVAILABLE;
    }
  }

  /**
   * @param allowStandby whether a standby copy may answer
   * @param after the position the copy must have processed, or null
   */
  public Fetched fetch(StoreRead read, boolean allowStandby, Position after) {
    return fetch(read, metadata(read.store(), read.key()), allowStandby, after);
  }

  /** As {@link #fetch(StoreRead, boolean, Position)}, with the key's metadata already looked up. */
  Fetched fetch(StoreRead read, KeyQueryMetadata metadata, boolean allowStandby, Position after) {
    if (!Router.hasOwner(metadata)) {
      throw new StateUnavailableException("no instance owns '" + read.key() + "' in " + read.store() + " yet");
    }
    int partition = metadata.partition();
    boolean standby = !self.equals(metadata.activeHost());
    if (standby && !(allowStandby && metadata.standbyHosts().contains(self))) {
      throw new StateUnavailableException("partition " + partition + " of " + read.store()
          + " is not active on " + self);
    }
    // A copy still restoring, or a standby far behind or just wiped, would answer zero: never let it.
    StoreCopies.Status status = standby ? copies.standby(read.store(), partition) : copies.active(read.store(), partition);
    if (!status.answerable()) {
      throw new StateUnavailableException(status.reason() + " (" + self + ")");
    }
    long lag = status.lag();
    try {
      if (read.isWindowed()) {
        NavigableMap<Long, Object> windows = new TreeMap<>();
        try (WindowStoreIterator<Object> iterator = query(read.store(), partition, standby, after,
            WindowKeyQuery.<String, Object>withKeyAndWindowStartRange(read.key(),
                Instant.ofEpochMilli(read.fromStart()), Instant.ofEpochMilli(read.toStart())))) {
          while (iterator.hasNext()) {
            KeyValue<Long, Object> window = iterator.next();
            windows.put(window.key, unwrap(window.value));
          }
        }
        return new Fetched(null, windows, standby, lag);
      }
      Object value = unwrap(query(read.store(), partition, standby, after, KeyQuery.withKey(read.key())));
      return new Fetched(value, null, standby, lag);
    } catch (InvalidStateStoreException e) {
      throw new StateUnavailableException(read.store() + " is not queryable: " + e.getMessage(), e);
    }
  }

  /**
   * Reads an active copy directly when it is here and no position is asked for: Kafka Streams'
   * interactive query looks up every task of every thread (the state updater's under its lock) on each
   * call, a fifth of a local read. The copy's own {@code query} answers, as it does for Kafka Streams;
   * the caller has checked the copy may answer ({@link StoreCopies}). Otherwise, or if the copy closes
   * meanwhile, through Kafka Streams.
   */
  private <R> R query(String store, int partition, boolean standby, Position after,
      Query<R> query) {
    StateStore active = standby || after != null ? null : taskStores.activeCopy(store, partition);
    if (active != null) {
      try {
        QueryResult<R> result = active.query(query, PositionBound.unbounded(), DIRECT);
        if (result.isSuccess()) {
          return result.getResult();
        }
      } catch (InvalidStateStoreException e) {
        // Closed since it was found: ask Kafka Streams, which knows where the partition went.
      }
    }
    StateQueryRequest<R> request = StateQueryRequest.inStore(store).withQuery(query).withPartitions(Set.of(partition));
    if (after != null) {
      // Kafka Streams ignores the position bound of a requireActive() query; whether this copy is the
      // active one was checked against the metadata instead.
      request = request.withPositionBound(PositionBound.at(after));
    } else if (!standby) {
      request = request.requireActive();
    }
    QueryResult<R> result = streams.query(request).getPartitionResults().get(partition);
    if (result == null) {
      throw new StateUnavailableException("partition " + partition + " of " + store + " is not on " + self);
    }
    if (result.isFailure()) {
      FailureReason reason = result.getFailureReason();
      if (reason == FailureReason.NOT_ACTIVE || reason == FailureReason.NOT_PRESENT
          || reason == FailureReason.NOT_UP_TO_BOUND) {
        throw new StateUnavailableException(reason + ": " + result.getFailureMessage());
      }
      throw new IllegalStateException("reading " + store + " failed: " + reason + ": " + result.getFailureMessage());
    }
    return result.getResult();
  }

  /**
   * The busiest counters of this instance's active partitions over the last minute: each task's busiest
   * counters of each second ({@link TopCounters}), summed.
   */
  public List<CounterRate> top(int limit) {
    long second = clock.millis() / 1000 * 1000;
    long seconds = CounterTopology.RATE_WINDOW.toSeconds();
    Instant from = Instant.ofEpochMilli(second - (seconds - 1) * 1000);
    Instant to = Instant.ofEpochMilli(second + 1000);
    Map<String, Long> events = new HashMap<>();
    try {
      StateQueryRequest<WindowStoreIterator<TopCounters>> request = StateQueryRequest.inStore(StoreNames.TOP_1S)
          .withQuery(WindowKeyQuery.<String, TopCounters>withKeyAndWindowStartRange(TopCounters.KEY, from,
              Instant.ofEpochMilli(second)))
          .requireActive();
      Map<Integer, QueryResult<WindowStoreIterator<TopCounters>>> results =
          streams.query(request).getPartitionResults();
      try {
        for (Map.Entry<Integer, QueryResult<WindowStoreIterator<TopCounters>>> entry : results.entrySet()) {
          QueryResult<WindowStoreIterator<TopCounters>> result = entry.getValue();
          if (result.isFailure()) {
            if (result.getFailureReason() == FailureReason.NOT_ACTIVE) {
              continue; // a standby copy here: its active reports it
            }
            throw new StateUnavailableException(result.getFailureReason() + ": " + result.getFailureMessage());
          }
          StoreCopies.Status status = copies.active(StoreNames.TOP_1S, entry.getKey());
          if (!status.answerable()) {
            throw new StateUnavailableException(status.reason() + " (" + self + ")");
          }
          result.getResult().forEachRemaining(
              top -> top.value.events().forEach((counter, n) -> events.merge(counter, n, Long::sum)));
        }
      } finally {
        // Every partition's iterator, also when one partition failed half way.
        results.values().stream().filter(QueryResult::isSuccess).forEach(result -> result.getResult().close());
      }
    } catch (InvalidStateStoreException e) {
      throw new StateUnavailableException(StoreNames.TOP_1S + " is not queryable: " + e.getMessage(), e);
    }
    return CounterRate.top(events.entrySet().stream()
        .map(entry -> CounterRate.of(entry.getKey(), entry.getValue(), from, to)).toList(), limit);
  }

  /** Stores the DSL materialized keep a timestamp next to each value; IQv2 hands both back. */
  private static Object unwrap(Object value) {
    return value instanceof ValueAndTimestamp<?> timestamped ? timestamped.value() : value;
  }
}
