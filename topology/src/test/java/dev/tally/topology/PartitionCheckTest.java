package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.ShardKeys;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 13: records a producer put outside their key's partition (another partitioner, such as
 * librdkafka's CRC32-based default) are counted by the task that owns the key. The test driver feeds
 * every record from partition 0 of a topic said to have 4, so about three in four are misplaced.
 */
class PartitionCheckTest {

  private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  @Test
  void misplacedRecordsAreReroutedAndCountedAndTheRestPassStraightOn() {
    TallyConfig config = TallyConfig.defaults().withIncrementsPartitions(4);
    IncrementEventSerde serde = new IncrementEventSerde();
    try (TopologyTestDriver driver = TestDrivers.of(config, "partition-check-test")) {
      TestInputTopic<byte[], byte[]> input = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC,
          new ByteArraySerializer(), new ByteArraySerializer());
      CommittedStores.Totals<PnCounter> totals = CommittedStores.totals(driver, StoreNames.COUNTER_TOTALS);
      int misplaced = 0;
      for (int c = 0; c < 40; c++) {
        byte[] key = ("c" + c).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i <= c; i++) {
          IncrementEvent event = IncrementEvent.newBuilder().setCounter("c" + c).setDelta(1).setEventTime(T0).build();
          input.pipeInput(new TestRecord<>(key, serde.encode(event), T0));
          if (ShardKeys.partitionOf(key, 4) != 0) {
            misplaced++;
          }
        }
      }
      for (int c = 0; c < 40; c++) {
        assertThat(totals.get("c" + c)).as("c" + c).isEqualTo(new PnCounter(c + 1, 0));
      }
      assertThat(misplaced).isBetween(400, 700);
      double rerouted = driver.metrics().entrySet().stream()
          .filter(metric -> metric.getKey().name().equals("rerouted-total"))
          .mapToDouble(metric -> ((Number) metric.getValue().metricValue()).doubleValue()).sum();
      assertThat(rerouted).isEqualTo(misplaced);
    }
  }

  @Test
  void withoutAPartitionCountNothingIsChecked() {
    TopologyDescription description = CounterTopology.build(TallyConfig.defaults()).describe();
    List<String> names = description.subtopologies().stream()
        .flatMap(s -> s.nodes().stream()).map(TopologyDescription.Node::name).toList();
    assertThat(names).doesNotContain(CounterTopology.PLACED, CounterTopology.MISPLACED);
    assertThat(CounterTopology.build(TallyConfig.defaults().withIncrementsPartitions(6)).describe().toString())
        .contains(CounterTopology.PLACED, CounterTopology.MISPLACED, "rerouted-repartition")
        .doesNotContain("KSTREAM-");
  }
}
