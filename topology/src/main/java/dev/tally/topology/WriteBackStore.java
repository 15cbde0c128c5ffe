package dev.tally.topology;

import java.io.File;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
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
 */
abstract class WriteBackStore<S extends StateStore, K, V> extends WrappedStateStore<S, K, V> {

  protected final StorePosition position = new StorePosition();
  protected final TaskStores taskStores;
  /** The state directory of this store's task, once initialised. */
  protected File taskDir;

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
    taskStores.register(taskDir, this);
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
      taskStores.unregister(taskDir, this);
    }
    super.close();
  }
}
