package dev.tally.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.ShardKeys;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.internals.DefaultStreamPartitioner;
import org.junit.jupiter.api.Test;

class LocalStoresTest {

  /**
   * The metadata cache files a key under the partition it computes itself: it must be the one Kafka
   * Streams' {@code queryMetadataForKey} names, or reads would go to the wrong instance.
   */
  @Test
  void aKeysPartitionIsTheOneKafkaStreamsNames() {
    DefaultStreamPartitioner<String, Object> streams = new DefaultStreamPartitioner<>(Serdes.String().serializer());
    Random random = new Random(11);
    for (int i = 0; i < 10_000; i++) {
      String key = "counter-" + random.nextInt(1_000_000) + (i % 3 == 0 ? "#" + random.nextInt(64) : "")
          + (i % 7 == 0 ? "é" : "");
      int partitions = 1 + random.nextInt(64);
      assertThat(ShardKeys.partitionOf(key.getBytes(StandardCharsets.UTF_8), partitions))
          .as("%s over %d partitions", key, partitions)
          .isEqualTo(streams.partitions("tally.increments", key, null, new RecordHeaders(), partitions).orElseThrow().iterator().next());
    }
  }
}
