package dev.tally.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ShardConfigSerdeTest {

  private final ShardConfigSerde serde = new ShardConfigSerde();

  @Test
  void everyShardCountACounterCanHaveReadsBack() {
    for (int shards : new int[] {1, 4, 16, 64}) {
      ShardConfig config = config(shards);
      assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", config))).isEqualTo(config);
    }
  }

  /** Issue 12, item 11: a count no reader or writer can use, written by any client, is refused on read. */
  @Test
  void anyOtherShardCountIsRefused() {
    for (int shards : new int[] {0, -4, 2, 5, 128, Integer.MAX_VALUE}) {
      byte[] bytes = serde.serializer().serialize("t", config(shards));
      assertThatThrownBy(() -> serde.deserializer().deserialize("t", bytes))
          .isInstanceOf(SerializationException.class).hasMessageContaining(shards + " shards");
    }
  }

  private static ShardConfig config(int shards) {
    return ShardConfig.newBuilder().setCounter("c").setShards(shards).setReason("pinned").setEventsPerSecond(0.0)
        .setDecidedAt(Instant.parse("2026-11-29T12:00:00Z")).build();
  }
}
