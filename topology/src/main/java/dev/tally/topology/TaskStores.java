package dev.tally.topology;

import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.StateStore;

/**
 * The open write-back buffered stores of one topology build, active and standby copies alike: each
 * registers here while it is open.
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

  private final Map<String, StateStore> byTaskDir = new ConcurrentHashMap<>();
  private final Map<String, WriteBackStore<?, ?, ?>> byPartition = new ConcurrentHashMap<>();

  void register(File taskDir, int partition, WriteBackStore<?, ?, ?> store) {
    byTaskDir.put(id(taskDir, store.name()), store);
    byPartition.put(store.name() + "/" + partition, store);
  }

  void unregister(File taskDir, int partition, WriteBackStore<?, ?, ?> store) {
    byTaskDir.remove(id(taskDir, store.name()), store);
    byPartition.remove(store.name() + "/" + partition, store);
  }

  /** The open store {@code name} of the task in {@code taskDir}, or null. */
  @SuppressWarnings("unchecked")
  <S extends StateStore> S find(File taskDir, String name) {
    return (S) byTaskDir.get(id(taskDir, name));
  }

  /**
   * The open store {@code name} of {@code partition} if this instance holds it as part of an active
   * task, or null (not here, a standby copy, closed). Whether its copy may answer yet (restored, caught
   * up) is for the caller to check; its {@code query} answers as interactive queries do.
   */
  public StateStore activeCopy(String name, int partition) {
    WriteBackStore<?, ?, ?> store = byPartition.get(name + "/" + partition);
    return store != null && store.isOpen() && store.isActiveCopy() ? store : null;
  }

  private static String id(File taskDir, String name) {
    return taskDir.getAbsolutePath() + File.separator + name;
  }
}
