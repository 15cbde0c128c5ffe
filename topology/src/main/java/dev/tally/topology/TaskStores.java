package dev.tally.topology;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.StateStore;

/**
 * The open write-back buffered stores of one topology build, active and standby copies alike, by name
 * and partition: each registers here while it is open. A store belongs to one sub-topology, so its
 * name and partition name one task, and a client never holds two copies of a task.
 *
 * <ul>
 *   <li>A store finds the other stores of its task ({@link #find}): a tier's window store reads the open
 *       bucket that its {@link HeadStore} holds, and the head store writes closed buckets to the tier.
 *       Kafka Streams hands a store no way to reach its siblings.</li>
 *   <li>Local reads find the active copy of a store's partition ({@link #activeCopy}) and query it
 *       directly, without Kafka Streams' interactive-query lookup of every task of every thread.</li>
 * </ul>
 */
public final class TaskStores {

  private record Key(String name, int partition) {}

  private final Map<Key, WriteBackStore<?, ?, ?>> open = new ConcurrentHashMap<>();

  void register(int partition, WriteBackStore<?, ?, ?> store) {
    open.put(new Key(store.name(), partition), store);
  }

  void unregister(int partition, WriteBackStore<?, ?, ?> store) {
    open.remove(new Key(store.name(), partition), store);
  }

  /** The open store {@code name} of {@code partition}, active or standby, or null. */
  @SuppressWarnings("unchecked")
  <S extends StateStore> S find(String name, int partition) {
    return (S) open.get(new Key(name, partition));
  }

  /**
   * The open store {@code name} of {@code partition} if this instance holds it as part of an active
   * task, or null (not here, a standby copy, closed). Whether its copy may answer yet (restored, caught
   * up) is for the caller to check; its {@code query} answers as interactive queries do.
   */
  public StateStore activeCopy(String name, int partition) {
    WriteBackStore<?, ?, ?> store = find(name, partition);
    return store != null && store.isOpen() && store.isActiveCopy() ? store : null;
  }
}
