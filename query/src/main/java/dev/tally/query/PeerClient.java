package dev.tally.query;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Reads another instance's local stores: the router's only way out of this process. Calls block the
 * calling thread until the peer answers or its timeout passes; the router runs them in parallel.
 */
public interface PeerClient {

  /**
   * The peer's answers to {@code reads}, in order, from its local copies only (it never forwards).
   *
   * @param within the longest the call may take, if shorter than the client's own timeout: what is
   *     left of the read's budget
   * @throws StateUnavailableException when the peer cannot answer them (not its partitions, moving)
   * @throws RuntimeException when it cannot be reached or answers something else
   */
  List<Fetched> fetch(HostInfo peer, List<StoreRead> reads, boolean allowStandby, Position after,
      Duration within);

  /** The peer's busiest counters of its own active partitions. */
  List<CounterRate> top(HostInfo peer, int limit);

  /** The peer's Kafka Streams state and input lag. */
  InstanceState state(HostInfo peer);
}
