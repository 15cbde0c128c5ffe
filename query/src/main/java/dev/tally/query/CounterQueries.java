package dev.tally.query;

import dev.tally.topology.PnCounter;
import dev.tally.topology.StoreNames;
import java.time.Duration;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.query.FailureReason;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;

/**
 * Reads counters from this instance's state stores through IQv2. While state is moving (startup,
 * rebalance) it retries within a bounded budget, then throws {@link StateUnavailableException}: never a
 * silent zero. Reading from other instances is the router's job and arrives with it.
 */
public final class CounterQueries {

  private static final Duration BACKOFF = Duration.ofMillis(50);

  private final KafkaStreams streams;
  private final Duration retryBudget;

  public CounterQueries(KafkaStreams streams, Duration retryBudget) {
    this.streams = streams;
    this.retryBudget = retryBudget;
  }

  /** The all-time total of {@code counter}; a counter that never moved is zero. */
  public CounterTotal total(String counter) {
    return CounterTotal.of(counter, withRetries(() -> readTotal(counter)), 1);
  }

  private PnCounter readTotal(String key) {
    KeyQueryMetadata metadata =
        streams.queryMetadataForKey(StoreNames.COUNTER_TOTALS, key, Serdes.String().serializer());
    if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
      throw new StateUnavailableException("no instance owns counter '" + key + "' yet");
    }
    int partition = metadata.partition();
    StateQueryRequest<PnCounter> request = StateQueryRequest.inStore(StoreNames.COUNTER_TOTALS)
        .withQuery(KeyQuery.<String, PnCounter>withKey(key))
        .withPartitions(Set.of(partition))
        .requireActive();
    StateQueryResult<PnCounter> result = streams.query(request);
    QueryResult<PnCounter> partitionResult = result.getPartitionResults().get(partition);
    if (partitionResult == null) {
      throw new StateUnavailableException("partition " + partition + " of " + StoreNames.COUNTER_TOTALS
          + " is not on this instance");
    }
    if (partitionResult.isFailure()) {
      FailureReason reason = partitionResult.getFailureReason();
      if (reason == FailureReason.NOT_ACTIVE || reason == FailureReason.NOT_PRESENT
          || reason == FailureReason.NOT_UP_TO_BOUND) {
        throw new StateUnavailableException(reason + ": " + partitionResult.getFailureMessage());
      }
      throw new IllegalStateException("reading " + StoreNames.COUNTER_TOTALS + " failed: " + reason + ": "
          + partitionResult.getFailureMessage());
    }
    PnCounter value = partitionResult.getResult();
    return value == null ? PnCounter.ZERO : value;
  }

  private <T> T withRetries(java.util.function.Supplier<T> read) {
    long deadline = System.nanoTime() + retryBudget.toNanos();
    while (true) {
      try {
        return read.get();
      } catch (StateUnavailableException | InvalidStateStoreException e) {
        if (System.nanoTime() + BACKOFF.toNanos() > deadline) {
          throw e instanceof StateUnavailableException unavailable ? unavailable
              : new StateUnavailableException("state store not queryable: " + e.getMessage(), e);
        }
        sleep();
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(BACKOFF.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateUnavailableException("interrupted while waiting for state");
    }
  }
}
