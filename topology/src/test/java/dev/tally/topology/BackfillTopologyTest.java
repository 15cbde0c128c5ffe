package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Issue 15, item 2: history from the backfill topic lands in its windows, without moving stream time. */
class BackfillTopologyTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  private final IncrementEventSerde serde = new IncrementEventSerde();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> live;
  private TestInputTopic<byte[], byte[]> backfill;
  private TestOutputTopic<byte[], byte[]> dlq;
  private CommittedStores.Totals<PnCounter> totals;
  private CommittedStores.Buckets<PnCounter> seconds;
  private CommittedStores.Buckets<PnCounter> minutes;
  private CommittedStores.Buckets<PnCounter> hours;

  @BeforeEach
  void start() {
    driver = TestDrivers.of(TallyConfig.defaults(), "backfill-topology-test");
    live = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    backfill = driver.createInputTopic(TallyConfig.BACKFILL_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    dlq = driver.createOutputTopic(TallyConfig.DLQ_TOPIC, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    totals = CommittedStores.totals(driver, StoreNames.COUNTER_TOTALS);
    seconds = CommittedStores.buckets(driver, StoreNames.COUNTER_TOTALS, StoreNames.COUNTS_1S);
    minutes = CommittedStores.buckets(driver, StoreNames.COUNTER_TOTALS, StoreNames.COUNTS_1M);
    hours = CommittedStores.buckets(driver, StoreNames.COUNTER_TOTALS, StoreNames.COUNTS_1H);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void thirtyDaysOfHistoryLandInEveryBucketThatStillKeepsThem() {
    send(live, "page", 1, NOW);
    Random random = new Random(20261130L);
    Map<Long, Long> perMinute = new HashMap<>();
    Map<Long, Long> perHour = new HashMap<>();
    long total = 1;
    for (int i = 0; i < 20_000; i++) {
      Instant at = NOW.minusMillis(1 + (long) (random.nextDouble() * Duration.ofDays(30).toMillis()));
      long delta = random.nextInt(10) - 2;
      send(backfill, "page", delta, at);
      total += delta;
      perHour.merge(start(at, Duration.ofHours(1)), delta, Long::sum);
      // A window store keeps a bucket while its start is after (written) - retention.
      if (start(at, Duration.ofMinutes(1)) > NOW.plusMillis(5).minus(Duration.ofDays(7)).toEpochMilli()) {
        perMinute.merge(start(at, Duration.ofMinutes(1)), delta, Long::sum);
      }
    }

    assertThat(totals.get("page").total()).isEqualTo(total);
    perHour.forEach((start, count) -> assertThat(net(hours.fetch("page", start))).as("hour %s", Instant.ofEpochMilli(start))
        .isEqualTo(count + (start == start(NOW, Duration.ofHours(1)) ? 1 : 0)));
    perMinute.forEach((start, count) -> assertThat(net(minutes.fetch("page", start)))
        .as("minute %s", Instant.ofEpochMilli(start)).isEqualTo(count));
    long olderThanAWeek = start(NOW.minus(Duration.ofDays(8)), Duration.ofMinutes(1));
    assertThat(minutes.fetch("page", olderThanAWeek)).as("past the minute tier's 7 days").isNull();
    assertThat(dlq.isEmpty()).as("history is never late").isTrue();
    assertThat(metric("backfill-beyond-retention-total")).as("all but the last 2 hours miss a tier")
        .isBetween(19_000.0, 20_000.0);
  }

  @Test
  void historyNeverMovesStreamTime() {
    send(live, "page", 1, NOW);
    send(backfill, "page", 5, NOW.minus(Duration.ofMinutes(10)));
    send(backfill, "page", 7, NOW.plus(Duration.ofMinutes(30)));
    // Ten minutes back is late for the live stream (grace 1 minute), and stream time is still NOW.
    send(live, "page", 2, NOW.minus(Duration.ofMinutes(10)));
    send(live, "page", 3, NOW.minusSeconds(30));

    assertThat(streamTime()).isEqualTo(NOW.toEpochMilli());
    assertThat(net(seconds.fetch("page", start(NOW.minus(Duration.ofMinutes(10)), Duration.ofSeconds(1)))))
        .as("the backfilled event, not the late live one").isEqualTo(5);
    assertThat(net(seconds.fetch("page", start(NOW.minusSeconds(30), Duration.ofSeconds(1))))).isEqualTo(3);
    assertThat(dlq.readRecordsToList()).hasSize(1);
    assertThat(totals.get("page").total()).isEqualTo(1 + 5 + 7 + 2 + 3);
  }

  private double metric(String name) {
    return driver.metrics().entrySet().stream()
        .filter(metric -> metric.getKey().name().equals(name))
        .mapToDouble(metric -> ((Number) metric.getValue().metricValue()).doubleValue()).sum();
  }

  @SuppressWarnings("unchecked")
  private long streamTime() {
    return ((BufferedKeyValueStore<String, Long>) driver.getStateStore(StoreNames.STREAM_TIME)).get("max-event-time");
  }

  private void send(TestInputTopic<byte[], byte[]> topic, String counter, long delta, Instant eventTime) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(eventTime).build();
    // Written now, whatever the event's time: history is sent long after it happened.
    topic.pipeInput(new TestRecord<>(counter.getBytes(StandardCharsets.UTF_8), serde.encode(event),
        topic == live ? eventTime.plusMillis(5) : NOW.plusMillis(5)));
  }

  private static long net(PnCounter counter) {
    return counter == null ? 0 : counter.total();
  }

  private static long start(Instant at, Duration size) {
    return Math.floorDiv(at.toEpochMilli(), size.toMillis()) * size.toMillis();
  }
}
