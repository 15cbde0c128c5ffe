package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 14, item 7: an event with an {@code eventId} counts once per counter within the horizon. */
class DedupeTopologyTest {

  private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");
  private static final Duration HORIZON = Duration.ofHours(24);

  private final IncrementEventSerde serde = new IncrementEventSerde();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> increments;
  private TestOutputTopic<byte[], byte[]> dlq;
  private CommittedStores.Totals<PnCounter> totals;

  private void start(Duration horizon) {
    driver = TestDrivers.of(TallyConfig.defaults().withDedupeHorizon(horizon), "dedupe-topology-test");
    increments = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    dlq = driver.createOutputTopic(TallyConfig.DLQ_TOPIC, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    totals = CommittedStores.totals(driver, StoreNames.COUNTER_TOTALS);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void retriesOfAnEventCountOnceAndEveryOtherEventCounts() {
    start(HORIZON);
    Random random = new Random(20261130L);
    Map<String, Long> expected = new HashMap<>();
    List<IncrementEvent> sent = new ArrayList<>();
    long retries = 0;
    for (int i = 0; i < 5_000; i++) {
      Instant at = T0.plusMillis(i * 10L);
      if (!sent.isEmpty() && random.nextInt(4) == 0) {
        // A retry of an earlier event, as a client sends it again after a 503: same counter, same id.
        send(sent.get(random.nextInt(sent.size())), at);
        retries++;
      } else {
        String counter = "c" + random.nextInt(20);
        long delta = random.nextInt(1_000) - 300;
        IncrementEvent event = event(counter, delta, "id-" + i, at);
        sent.add(event);
        send(event, at);
        expected.merge(counter, delta, Long::sum);
      }
    }

    expected.forEach((counter, total) -> assertThat(totals.get(counter).total()).as(counter).isEqualTo(total));
    assertThat(duplicates()).isEqualTo(retries).isGreaterThan(1_000);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void theSameIdOnAnotherCounterIsAnotherEvent() {
    start(HORIZON);
    send(event("a", 1, "order-1", T0), T0);
    send(event("b", 1, "order-1", T0), T0);
    send(event("a", 1, "order-1", T0), T0.plusSeconds(1));

    assertThat(totals.get("a").total()).isEqualTo(1);
    assertThat(totals.get("b").total()).isEqualTo(1);
    assertThat(duplicates()).isEqualTo(1);
  }

  @Test
  void anIdIsForgottenPastTheHorizon() {
    start(HORIZON);
    send(event("a", 1, "order-1", T0), T0);
    send(event("a", 1, "order-1", T0), T0.plus(HORIZON).minusMillis(1));
    send(event("a", 1, "order-1", T0), T0.plus(HORIZON).plusMillis(1));

    assertThat(totals.get("a").total()).isEqualTo(2);
    assertThat(duplicates()).isEqualTo(1);
  }

  @Test
  void anEventRefusedAsOverflowCountsWhenSentAgain() {
    start(HORIZON);
    send(event("big", Long.MAX_VALUE, null, T0), T0);
    send(event("big", 1, "late-fix", T0), T0);
    assertThat(dlq.readRecordsToList()).hasSize(1);
    send(event("big", -5, null, T0), T0);
    send(event("big", 1, "late-fix", T0), T0.plusSeconds(1));

    assertThat(totals.get("big").total()).isEqualTo(Long.MAX_VALUE - 5);
    assertThat(duplicates()).isZero();
  }

  @Test
  void aZeroHorizonCountsEveryEvent() {
    start(Duration.ZERO);
    send(event("a", 1, "order-1", T0), T0);
    send(event("a", 1, "order-1", T0), T0);

    assertThat(totals.get("a").total()).isEqualTo(2);
    assertThat(driver.getAllStateStores()).doesNotContainKey(StoreNames.EVENT_IDS);
  }

  private void send(IncrementEvent event, Instant recordTime) {
    increments.pipeInput(new TestRecord<>(event.getCounter().getBytes(StandardCharsets.UTF_8), serde.encode(event),
        recordTime));
  }

  private static IncrementEvent event(String counter, long delta, String eventId, Instant time) {
    return IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(time).setEventId(eventId)
        .build();
  }

  private double duplicates() {
    return driver.metrics().entrySet().stream()
        .filter(metric -> metric.getKey().name().equals("duplicates-total"))
        .mapToDouble(metric -> ((Number) metric.getValue().metricValue()).doubleValue()).sum();
  }
}
