package dev.tally.topology;

import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.StateStore;

/**
 * Lets a store find the other stores of its task, active or standby: a tier's window store reads the
 * open bucket that its {@link HeadStore} holds, and the head store writes closed buckets to the tier.
 * Kafka Streams hands a store no way to reach its siblings, so each registers here, under its task's
 * state directory, while it is open. One per topology build.
 */
final class TaskStores {

  private final Map<String, StateStore> open = new ConcurrentHashMap<>();

  void register(File taskDir, StateStore store) {
    open.put(id(taskDir, store.name()), store);
  }

  void unregister(File taskDir, StateStore store) {
    open.remove(id(taskDir, store.name()), store);
  }

  /** The open store {@code name} of the task in {@code taskDir}, or null. */
  @SuppressWarnings("unchecked")
  <S extends StateStore> S find(File taskDir, String name) {
    return (S) open.get(id(taskDir, name));
  }

  private static String id(File taskDir, String name) {
    return taskDir.getAbsolutePath() + File.separator + name;
  }
}
