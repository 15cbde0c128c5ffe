package dev.tally.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

class RouterTest {

  /** Issue 10: during a rebalance Kafka Streams names {@code unavailable:-1}; forwarding there was a 500. */
  @Test
  void aPartitionWhoseHostIsUnavailableHasNoOwner() {
    assertThat(Router.hasOwner(new KeyQueryMetadata(HostInfo.unavailable(), Set.of(), 3))).isFalse();
    assertThat(Router.hasOwner(KeyQueryMetadata.NOT_AVAILABLE)).isFalse();
    assertThat(Router.hasOwner(new KeyQueryMetadata(new HostInfo("node-1", 7070), Set.of(), 3))).isTrue();
  }
}
