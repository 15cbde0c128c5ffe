package dev.tally.query;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.HostInfo;

/** Reads another instance's local stores: the router's only way out of this process. */
public interface PeerClient {

  /**
   * The peer's answers to {@code reads}, in order, from its local copies only (it never forwards). Fails
   * with {@link StateUnavailableException} when the peer cannot answer them (not its partitions, moving).
   */
  CompletableFuture<List<Fetched>> fetch(HostInfo peer, List<StoreRead> reads, boolean allowStandby, Position after);

  /** The peer's busiest counters of its own active partitions. */
  CompletableFuture<List<CounterRate>> top(HostInfo peer, int limit);

  /** The peer's Kafka Streams state and input lag. */
  CompletableFuture<InstanceState> state(HostInfo peer);
}
