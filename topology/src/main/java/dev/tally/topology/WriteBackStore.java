package dev.tally.topology;

import java.io.File;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.Task;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * What the write-back buffered stores share: when the buffer is written down and when it is dropped.
 *
 * <p>Written down in {@link #flushCache()}: Kafka Streams (4.4.0) commits a task as
 * {@code ProcessorStateManager.flushCache()}, which calls {@code flushCache()} on every store that
 * implements its internal {@code CachedStateStore} (as {@link WrappedStateStore} does); then the record
 * collector is flushed; then the offsets and the transaction commit. So the buffered writes reach the
 * changelog inside the transaction whose offsets they belong to. The public {@code flush()} and
 * {@code commit()} run after the transaction commits, too late for exactly-once.
 * {@code BufferedStoresTest} fails if Kafka moves that hook.
 *
 * <p>Dropped, never written, on {@link #clearCache()} (a dirty close), {@link #close()} and a new
 * {@link #init}: what was buffered then belongs to a transaction that is aborted, and the task replays
 * it from its last committed offsets.
 *
 * <p>Subclasses guard the buffer with this store's monitor: the stream thread writes, query threads read.
 *
 * <p>Positions: a query's position bound is checked against {@link #queryPosition}, which adds how far
 * the task got to what this store took itself. The counting processor touches only the stores an
 * event needs (no sketch for an event without an item), so a store's own position alone could trail
 * a write that did not concern it, and a read waiting for that write would wait out its timeout. The
 * task's progress is kept in the stream-time store ({@link #PROGRESS_PREFIX}), written down and restored
 * with the others, so it holds after a restart or a move to another instance too.
 */
abstract class WriteBackStore<S extends StateStore, K, V> extends WrappedStateStore<S, K, V> {

  /** Keys of the stream-time store: {@code offset:TOPIC}, the offset of the task's last processed record. */
  static final String PROGRESS_PREFIX = "offset:";

  protected final StorePosition position = new StorePosition();
  protected final TaskStores taskStores;
  /** The state directory of this store's task, once initialised. */
  protected File taskDir;
  /** The partition of this store's task, once initialised. */
  protected int partition;
  /** Kafka Streams' own context of the task, whose type follows the task (a standby recycled to active). */
  private InternalProcessorContext<?, ?> taskContext;

  WriteBackStore(S inner, TaskStores taskStores) {
    super(inner);
    this.taskStores = taskStores;
  }

  /** Writes every buffered entry to the store beneath (and so its changelog), then forgets them. */
  protected abstract void writeDown();

  /** Forgets every buffered entry without writing it. */
  protected abstract void forget();

  @Override
  public void init(StateStoreContext context, StateStore root) {
    synchronized (this) {
      forget();
    }
    super.init(context, root);
    position.init(context);
    taskDir = context.stateDir();
    partition = context.taskId().partition();
    taskContext = context instanceof InternalProcessorContext<?, ?> internal ? internal : null;
    taskStores.register(partition, this);
  }

  /**
   * Whether this copy belongs to an active task now: the task type of Kafka Streams' internal context
   * (pinned with the version, as {@link #flushCache()} is), read at each call, since a standby task
   * recycled into an active one keeps its stores.
   */
  boolean isActiveCopy() {
    InternalProcessorContext<?, ?> context = taskContext;
    return context != null && context.taskType() == Task.TaskType.ACTIVE;
  }

  /**
   * This store's position for a query bounded by {@code bound}: what it took, and for each topic the
   * bound names, how far its task processed. A fresh copy; call under this store's monitor.
   */
  protected Position queryPosition(PositionBound bound) {
    Position current = position.of(wrapped());
    BufferedKeyValueStore<String, Long> progress = taskDir == null ? null : taskStores.find(StoreNames.STREAM_TIME, partition);
    if (bound.isUnbounded() || progress == null) {
      return current;
    }
    for (String topic : bound.position().getTopics()) {
      Long processed = progress.get(PROGRESS_PREFIX + topic);
      Long own = current.getPartitionPositions(topic).get(partition);
      if (processed != null && (own == null || own < processed)) {
        current.withComponent(topic, partition, processed);
      }
    }
    return current;
  }

  @Override
  public void flushCache() {
    synchronized (this) {
      writeDown();
    }
    super.flushCache();
  }

  @Override
  public void clearCache() {
    synchronized (this) {
      forget();
    }
    super.clearCache();
  }

  @Override
  public void close() {
    synchronized (this) {
      forget();
    }
    if (taskDir != null) {
      taskStores.unregister(partition, this);
    }
    super.close();
  }
}
