package dev.tally.topology;

import java.io.File;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer between Kafka's changelogging layer and a RocksDB window store that keeps the store's
 * committed changelog offsets in a file beside it while the store has no segments.
 *
 * <p>Kafka Streams (4.4.0) keeps a segmented store's committed offsets in its segments, so a window store
 * that holds nothing answers none: a tier in which no bucket has closed yet, the unique tiers of an
 * application that sends no items, the event ids while no event carries one. At start, before any task
 * is assigned, Kafka reads the offsets of every task whose directory holds state, to report them to
 * the assignor, and it reads them with transactional stores off. There a store without offsets, in a
 * task directory that is not empty, counts as corrupt under exactly-once ("did not find checkpoint
 * offsets while stores are not empty"), and the task's state goes unreported: the assignor takes the
 * instance for one without it and may move the task, and its state, elsewhere. The task itself was
 * not wiped: it opened later, transactional, as before.
 *
 * <p>The file holds the offsets of the last commit at which the store had no segment: whatever the
 * changelog held before them was expired or deleted then, so restoring from there restores all the
 * store can hold. While the store has a segment, the segments' offsets are answered, or none.
 */
final class WindowStoreOffsets extends WrappedStateStore<WindowStore<Bytes, byte[]>, Bytes, byte[]>
    implements WindowStore<Bytes, byte[]> {

  private static final Logger log = LoggerFactory.getLogger(WindowStoreOffsets.class);
  private static final String FILE_PREFIX = ".offsets-";

  /** Where the segments are: a directory each. */
  private File storeDir;
  private OffsetCheckpoint file;
  /** Read by whichever thread owns the task now: the stream thread, or the one restoring it. */
  private volatile Map<TopicPartition, Long> kept = Map.of();

  private WindowStoreOffsets(WindowStore<Bytes, byte[]> inner) {
    super(inner);
  }

  /** {@code rocks}, with each store it supplies wrapped in this layer. */
  static WindowBytesStoreSupplier around(WindowBytesStoreSupplier rocks) {
    return new WindowBytesStoreSupplier() {
      @Override
      public String name() {
        return rocks.name();
      }

      @Override
      public WindowStore<Bytes, byte[]> get() {
        return new WindowStoreOffsets(rocks.get());
      }

      @Override
      public String metricsScope() {
        return rocks.metricsScope();
      }

      @Override
      public long segmentIntervalMs() {
        return rocks.segmentIntervalMs();
      }

      @Override
      public long windowSize() {
        return rocks.windowSize();
      }

      @Override
      public boolean retainDuplicates() {
        return rocks.retainDuplicates();
      }

      @Override
      public long retentionPeriod() {
        return rocks.retentionPeriod();
      }
    };
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    storeDir = new File(context.stateDir(), name());
    file = new OffsetCheckpoint(new File(context.stateDir(), FILE_PREFIX + name()));
    kept = read(file);
    super.init(context, root);
  }

  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    super.commit(changelogOffsets);
    if (!changelogOffsets.isEmpty() && !changelogOffsets.equals(kept) && !hasSegments()) {
      write(changelogOffsets);
    }
  }

  @Override
  public Long committedOffset(TopicPartition partition) {
    Long inSegments = super.committedOffset(partition);
    if (inSegments != null || hasSegments()) {
      return inSegments;
    }
    return kept.get(partition);
  }

  /**
   * Whether the store's directory holds anything: segments are all it holds. Anything else there errs
   * on the safe side (no offsets kept). One listing, without a stat per entry: 12-21 us here.
   */
  private boolean hasSegments() {
    String[] entries = storeDir.list();
    return entries != null && entries.length > 0;
  }

  /** The offsets in {@code file}; none if it is missing or unreadable. */
  private static Map<TopicPartition, Long> read(OffsetCheckpoint file) {
    try {
      return Map.copyOf(file.read());
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring the offsets kept in {} (the store restores from its changelog's start): {}", file, e.toString());
      return Map.of();
    }
  }

  /** Kafka's checkpoint file: written aside, synced, then moved over the old, so a crash leaves one or the other. */
  private void write(Map<TopicPartition, Long> offsets) {
    try {
      file.write(offsets);
      kept = Map.copyOf(offsets);
    } catch (IOException | IllegalStateException e) {
      log.warn("cannot keep the offsets of {} in {}: {}", name(), file, e.toString());
    }
  }

  @Override
  public void put(Bytes key, byte[] value, long windowStartTimestamp) {
    wrapped().put(key, value, windowStartTimestamp);
  }

  @Override
  public byte[] fetch(Bytes key, long time) {
    return wrapped().fetch(key, time);
  }

  @Override
  public WindowStoreIterator<byte[]> fetch(Bytes key, long timeFrom, long timeTo) {
    return wrapped().fetch(key, timeFrom, timeTo);
  }

  @Override
  public WindowStoreIterator<byte[]> fetch(Bytes key, Instant timeFrom, Instant timeTo) {
    return wrapped().fetch(key, timeFrom, timeTo);
  }

  @Override
  public WindowStoreIterator<byte[]> backwardFetch(Bytes key, long timeFrom, long timeTo) {
    return wrapped().backwardFetch(key, timeFrom, timeTo);
  }

  @Override
  public WindowStoreIterator<byte[]> backwardFetch(Bytes key, Instant timeFrom, Instant timeTo) {
    return wrapped().backwardFetch(key, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
    return wrapped().fetch(keyFrom, keyTo, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, Instant timeFrom,
      Instant timeTo) {
    return wrapped().fetch(keyFrom, keyTo, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, long timeFrom,
      long timeTo) {
    return wrapped().backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, Instant timeFrom,
      Instant timeTo) {
    return wrapped().backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> all() {
    return wrapped().all();
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> backwardAll() {
    return wrapped().backwardAll();
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(long timeFrom, long timeTo) {
    return wrapped().fetchAll(timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(Instant timeFrom, Instant timeTo) {
    return wrapped().fetchAll(timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(long timeFrom, long timeTo) {
    return wrapped().backwardFetchAll(timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(Instant timeFrom, Instant timeTo) {
    return wrapped().backwardFetchAll(timeFrom, timeTo);
  }

  @Override
  public ReadOnlyWindowStore<Bytes, byte[]> readOnly(IsolationLevel isolationLevel) {
    return wrapped().readOnly(isolationLevel);
  }
}
