package dev.tally.query;

import java.util.List;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Whether this instance should take reads: Kafka Streams is {@code RUNNING} and none of its tasks is
 * stalled (input waiting, no progress), each of which {@code stalled} names in words.
 */
public record Readiness(KafkaStreams.State state, List<String> stalled) {

  public boolean ready() {
    return state == KafkaStreams.State.RUNNING && stalled.isEmpty();
  }
}
