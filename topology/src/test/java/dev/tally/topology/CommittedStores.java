package dev.tally.topology;

import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The stores beneath the write-back buffers, as the last commit left them. Reading them, rather than
 * the buffers, checks the counting and that the buffers are written down at every commit.
 */
final class CommittedStores {

  private CommittedStores() {}

  @SuppressWarnings("unchecked")
  static <V> KeyValueStore<String, V> keyValue(TopologyTestDriver driver, String name) {
    return ((BufferedKeyValueStore<String, V>) driver.getStateStore(name)).wrapped();
  }

  @SuppressWarnings("unchecked")
  static <V> WindowStore<String, V> window(TopologyTestDriver driver, String name) {
    return ((BufferedWindowStore<String, V>) driver.getStateStore(name)).wrapped();
  }
}
