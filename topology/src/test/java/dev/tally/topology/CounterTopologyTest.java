package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CounterTopologyTest {

  private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  private final IncrementEventSerde serde = new IncrementEventSerde();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> increments;
  private TestOutputTopic<byte[], byte[]> dlq;
  private CommittedStores.Totals<PnCounter> totals;

  @BeforeEach
  void start() {
    driver = TestDrivers.of(TallyConfig.defaults(), "counter-topology-test");
    increments = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    dlq = driver.createOutputTopic(TallyConfig.DLQ_TOPIC, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    totals = CommittedStores.totals(driver, StoreNames.COUNTER_TOTALS);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void incrementsAndDecrementsSumExactly() {
    Random random = new Random(20261129L);
    Map<String, long[]> expected = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      String counter = "c" + random.nextInt(50);
      long delta = random.nextInt(2_000_001) - 1_000_000L;
      send(counter, event(counter, delta));
      long[] parts = expected.computeIfAbsent(counter, c -> new long[2]);
      parts[delta >= 0 ? 0 : 1] += Math.abs(delta);
    }

    expected.forEach((counter, parts) ->
        assertThat(totals.get(counter)).as(counter).isEqualTo(new PnCounter(parts[0], parts[1])));
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void shardKeysAreCountedSeparately() {
    send("page", event("page", 2));
    send("page#3", event("page", 5));

    assertThat(totals.get("page")).isEqualTo(new PnCounter(2, 0));
    assertThat(totals.get("page#3")).isEqualTo(new PnCounter(5, 0));
  }

  @Test
  void overflowGoesToTheDlqAndLeavesTheCounterUnchanged() {
    send("big", event("big", Long.MAX_VALUE - 1));
    send("other", event("other", 7));
    byte[] overflowing = serde.encode(event("big", 2));
    increments.pipeInput(new TestRecord<>(bytes("big"), overflowing, T0));
    send("small", event("small", Long.MIN_VALUE));

    assertThat(totals.get("big")).isEqualTo(new PnCounter(Long.MAX_VALUE - 1, 0));
    assertThat(totals.get("small")).isNull();
    assertThat(totals.get("other")).isEqualTo(new PnCounter(7, 0));
    List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
    assertThat(letters).extracting(r -> header(r, DeadLetters.REASON)).containsExactly("overflow", "overflow");
    assertThat(letters.get(0).value()).isEqualTo(overflowing);
    assertThat(header(letters.get(0), DeadLetters.MESSAGE)).contains("would overflow");

    send("big", event("big", 1));
    assertThat(totals.get("big")).isEqualTo(new PnCounter(Long.MAX_VALUE, 0));
  }

  @Test
  void corruptAndInvalidRecordsGoToTheDlqWithReasonAndSource() {
    send("steady", event("steady", 1));
    byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
    increments.pipeInput(new TestRecord<>(bytes("steady"), garbage, T0));
    send("bad id!", event("bad id!", 1));
    send("elsewhere", event("steady", 1));
    increments.pipeInput(new TestRecord<>(null, serde.encode(event("steady", 1)), T0));
    send("steady", IncrementEvent.newBuilder(event("steady", 1)).setItem("").build());
    send("steady", event("steady", 1));

    assertThat(totals.get("steady")).isEqualTo(new PnCounter(2, 0));
    assertThat(totals.get("bad id!")).isNull();
    assertThat(totals.get("elsewhere")).isNull();

    List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
    assertThat(letters).extracting(r -> header(r, DeadLetters.REASON))
        .containsExactly("corrupt", "invalid", "invalid", "invalid", "invalid");
    assertThat(letters).extracting(r -> header(r, DeadLetters.MESSAGE)).satisfiesExactly(
        m -> assertThat(m).contains("single-object"),
        m -> assertThat(m).contains("may only contain"),
        m -> assertThat(m).contains("is not the counter id"),
        m -> assertThat(m).contains("key is missing"),
        m -> assertThat(m).contains("item must be"));
    TestRecord<byte[], byte[]> corrupt = letters.get(0);
    assertThat(corrupt.value()).isEqualTo(garbage);
    assertThat(corrupt.key()).isEqualTo(bytes("steady"));
    assertThat(header(corrupt, DeadLetters.SOURCE_TOPIC)).isEqualTo(TallyConfig.INCREMENTS_TOPIC);
    assertThat(header(corrupt, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(header(corrupt, DeadLetters.SOURCE_OFFSET)).isEqualTo("1");
  }

  /**
   * Issue 12, item 12: the dead-letter copy of a record near 1 MB, with headers added, once passed the
   * producer's request limit, and the failed send stopped every instance in turn.
   */
  @Test
  void aRecordTooLargeToCopyWholeGoesToTheDlqTruncated() {
    byte[] huge = new byte[1_000_000];
    Arrays.fill(huge, (byte) 'x');
    increments.pipeInput(new TestRecord<>(bytes("steady"), huge, T0));
    send("steady", event("steady", 1));

    assertThat(totals.get("steady")).isEqualTo(new PnCounter(1, 0));
    TestRecord<byte[], byte[]> letter = dlq.readRecord();
    assertThat(letter.value()).hasSize(DeadLetters.MAX_PART_BYTES).containsOnly((byte) 'x');
    assertThat(letter.key()).isEqualTo(bytes("steady"));
    assertThat(header(letter, DeadLetters.REASON)).isEqualTo("corrupt");
    assertThat(header(letter, DeadLetters.TRUNCATED)).isEqualTo("key=6,value=1000000,headers=0");
    assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
  }

  /** Issue 14, item 5: one warning, and one count of the metric, when a counter passes 2^60. */
  @Test
  void aCounterPassing2To60IsWarnedOnceAndStillCounted() {
    send("big", event("big", CountProcessor.NEAR_OVERFLOW - 1));
    assertThat(nearOverflowWarnings()).isZero();
    send("big", event("big", 1));
    send("big", event("big", 5));
    send("big", event("big", -3));
    assertThat(nearOverflowWarnings()).isEqualTo(1.0);
    assertThat(totals.get("big")).isEqualTo(new PnCounter(CountProcessor.NEAR_OVERFLOW + 5, 3));
  }

  private double nearOverflowWarnings() {
    return driver.metrics().entrySet().stream()
        .filter(metric -> metric.getKey().name().equals("near-overflow-total"))
        .mapToDouble(metric -> ((Number) metric.getValue().metricValue()).doubleValue()).sum();
  }

  @Test
  void everyNodeAndStoreIsNamedExplicitly() {
    TopologyDescription description = CounterTopology.build(TallyConfig.defaults()).describe();
    List<String> names = description.subtopologies().stream()
        .flatMap(s -> s.nodes().stream()).map(TopologyDescription.Node::name).toList();

    assertThat(names).containsExactlyInAnyOrder(CounterTopology.SOURCE, CounterTopology.COUNT, "route-",
        "route-dlq", "dlq-unwrap", CounterTopology.DLQ_SINK, "route-shard-decisions", "shard-decision-unwrap",
        CounterTopology.SHARD_CONFIG_SINK);
    assertThat(description.toString())
        .contains(StoreNames.COUNTER_TOTALS, StoreNames.COUNTS_1S, StoreNames.TOP_1S, StoreNames.SHARD_CONFIG, StoreNames.EVENT_IDS,
            "shard-config-update-source", CounterTopology.SHARD_CONFIG_UPDATE)
        .doesNotContain("KSTREAM-", "KTABLE-", "repartition");
  }

  private void send(String key, IncrementEvent event) {
    increments.pipeInput(new TestRecord<>(bytes(key), serde.encode(event), T0));
  }

  private static IncrementEvent event(String counter, long delta) {
    return IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(T0).build();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
