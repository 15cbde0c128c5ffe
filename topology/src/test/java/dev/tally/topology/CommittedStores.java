package dev.tally.topology;

import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The stores beneath the write-back buffers, as the last commit left them. Reading them, rather than
 * the buffers, checks the counting and that the buffers are written down at every commit.
 */
final class CommittedStores {

  /** All-time values, as the head store beneath its buffer holds them. */
  interface Totals<V> {
    V get(String key);
  }

  /** A tier's buckets: a closed one from the tier's window store, the open one from its head store. */
  interface Buckets<V> {
    V fetch(String key, long start);
  }

  private CommittedStores() {}

  @SuppressWarnings("unchecked")
  static <V> Totals<V> totals(TopologyTestDriver driver, String headStore) {
    HeadStore<V> store = (HeadStore<V>) driver.getStateStore(headStore);
    return key -> {
      Head<V> head = store.wrapped().get(key);
      return head == null ? null : head.total;
    };
  }

  @SuppressWarnings("unchecked")
  static <V> Buckets<V> buckets(TopologyTestDriver driver, String headStore, String tierStore) {
    HeadStore<V> head = (HeadStore<V>) driver.getStateStore(headStore);
    BufferedWindowStore<String, V> tier = (BufferedWindowStore<String, V>) driver.getStateStore(tierStore);
    int index = head.tiers().stream().map(Tier::store).toList().indexOf(tierStore);
    return (key, start) -> {
      V closed = tier.wrapped().fetch(key, start);
      Head<V> stored = head.wrapped().get(key);
      V open = stored != null && stored.starts[index] == start ? stored.open(index) : null;
      return closed == null ? open : open == null ? closed : head.merge(closed, open);
    };
  }
}
