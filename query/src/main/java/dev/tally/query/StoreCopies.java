package dev.tally.query;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.TaskId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of this instance's store copies may answer a read, so that none answers from state it does not
 * have (a zero from an active copy still restoring, a standby far behind or just wiped).
 *
 * <p>Two sources, because neither is enough alone:
 * <ul>
 *   <li>a snapshot of {@code KafkaStreams.allLocalStorePartitionLags()}, taken by {@link #refresh()} a few
 *       times a second (it asks the broker for end offsets, too slow for every read). A running active task
 *       reports no lag; a restoring one reports how far it has got; a standby reports its lag.</li>
 *   <li>the restore and standby listeners, which say at once when a copy starts restoring or stops being
 *       updated, so that a snapshot taken before that moment is not trusted for that copy.</li>
 * </ul>
 * A copy with no snapshot taken after its last restore began is not answerable: an active copy
 * answers only when running, a standby only when at most {@link #MAX_STANDBY_LAG} offsets behind.
 */
public final class StoreCopies implements StateRestoreListener, StandbyUpdateListener {

  private static final Logger log = LoggerFactory.getLogger(StoreCopies.class);

  /**
   * A standby further behind its active than this many changelog offsets does not answer: about what
   * one commit interval adds under load. A standby that has restored nothing yet never answers.
   */
  public static final long MAX_STANDBY_LAG = 100;
  /** A snapshot older than this says nothing about standbys (the broker may be unreachable). */
  static final Duration MAX_SNAPSHOT_AGE = Duration.ofSeconds(3);

  /** How far a copy has got in its changelog, and the changelog's end ({@link LagInfo}'s figures). */
  public record Lag(long position, long end) {
    long behind() {
      return Math.max(0, end - position);
    }
  }

  /** Where a copy stands, as of a snapshot. */
  public record Status(boolean answerable, long lag, String reason) {}

  private record CopyKey(String store, int partition) {}

  private record Snapshot(long takenAtMillis, Map<String, Map<Integer, Lag>> lags) {}

  private final Supplier<Map<String, Map<Integer, Lag>>> lags;
  private final Clock clock;
  /** When each copy last began restoring (or stopped being updated), in clock millis. */
  private final Map<CopyKey, Long> disturbedAt = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot = new Snapshot(Long.MIN_VALUE, Map.of());

  /**
   * @param lags every local copy's lag by store and partition, as {@link #lagsOf(KafkaStreams)} reads them
   */
  public StoreCopies(Supplier<Map<String, Map<Integer, Lag>>> lags, Clock clock) {
    this.lags = lags;
    this.clock = clock;
  }

  /** {@code streams.allLocalStorePartitionLags()}, which asks the broker for the changelogs' end offsets. */
  public static Map<String, Map<Integer, Lag>> lagsOf(KafkaStreams streams) {
    Map<String, Map<Integer, Lag>> result = new HashMap<>();
    streams.allLocalStorePartitionLags().forEach((store, byPartition) -> {
      Map<Integer, Lag> lags = new HashMap<>();
      byPartition.forEach((partition, lag) ->
          lags.put(partition, new Lag(lag.currentOffsetPosition(), lag.endOffsetPosition())));
      result.put(store, lags);
    });
    return result;
  }

  /** Takes a new snapshot of every local copy's lag; a failure keeps the previous one. */
  public void refresh() {
    long takenAt = clock.millis();
    try {
      snapshot = new Snapshot(takenAt, Map.copyOf(lags.get()));
    } catch (RuntimeException e) {
      log.debug("could not read the local stores' lags; keeping the snapshot of {}", snapshot.takenAtMillis, e);
    }
  }

  /** Whether this instance's active copy of {@code partition} of {@code store} may answer. */
  public Status active(String store, int partition) {
    Snapshot current = snapshot;
    Lag lag = lag(current, store, partition);
    if (lag == null) {
      return new Status(false, -1, "partition " + partition + " of " + store + " is not yet known to be running here");
    }
    if (!undisturbedSince(current, store, partition)) {
      return new Status(false, -1, "partition " + partition + " of " + store + " is restoring here");
    }
    if (lag.behind() > 0) {
      return new Status(false, lag.behind(), "partition " + partition + " of " + store
          + " is restoring here, " + lag.behind() + " offsets to go");
    }
    return new Status(true, 0, "");
  }

  /** Whether this instance's standby copy of {@code partition} of {@code store} may answer, and its lag. */
  public Status standby(String store, int partition) {
    Snapshot current = snapshot;
    if (clock.millis() - current.takenAtMillis > MAX_SNAPSHOT_AGE.toMillis()) {
      return new Status(false, -1, "the lag of the standby copies here is not known (no fresh snapshot)");
    }
    Lag lag = lag(current, store, partition);
    if (lag == null || !undisturbedSince(current, store, partition)
        || (lag.position() <= 0 && lag.end() > 0)) {
      return new Status(false, -1, "the standby copy of partition " + partition + " of " + store
          + " here has not caught up yet");
    }
    if (lag.behind() > MAX_STANDBY_LAG) {
      return new Status(false, lag.behind(), "the standby copy of partition " + partition + " of " + store
          + " here is " + lag.behind() + " offsets behind");
    }
    return new Status(true, lag.behind(), "");
  }

  private static Lag lag(Snapshot snapshot, String store, int partition) {
    Map<Integer, Lag> byPartition = snapshot.lags.get(store);
    return byPartition == null ? null : byPartition.get(partition);
  }

  private boolean undisturbedSince(Snapshot snapshot, String store, int partition) {
    Long disturbed = disturbedAt.get(new CopyKey(store, partition));
    return disturbed == null || disturbed < snapshot.takenAtMillis;
  }

  private void disturbed(String store, TopicPartition changelog) {
    disturbedAt.put(new CopyKey(store, changelog.partition()), clock.millis());
  }

  @Override
  public void onRestoreStart(TopicPartition changelog, String store, long startingOffset, long endingOffset) {
    disturbed(store, changelog);
  }

  @Override
  public void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long numRestored) {}

  @Override
  public void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {}

  @Override
  public void onRestoreSuspended(TopicPartition changelog, String store, long totalRestored) {
    disturbed(store, changelog);
  }

  @Override
  public void onUpdateStart(TopicPartition changelog, String store, long startingOffset) {
    disturbed(store, changelog);
  }

  @Override
  public void onBatchLoaded(TopicPartition changelog, String store, TaskId taskId, long batchEndOffset,
      long batchSize, long currentEndOffset) {}

  @Override
  public void onUpdateSuspended(TopicPartition changelog, String store, long storeOffset, long currentEndOffset,
      SuspendReason reason) {
    disturbed(store, changelog);
  }
}
