package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tier buckets, grace, lateness and retention, with explicit event times. */
class WindowTopologyTest {

  private static final Instant NOON = Instant.parse("2026-11-29T12:00:00Z");

  private final IncrementEventSerde serde = new IncrementEventSerde();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> increments;
  private TestOutputTopic<byte[], byte[]> dlq;
  private CommittedStores.Totals<PnCounter> totals;
  private CommittedStores.Buckets<PnCounter> seconds;
  private CommittedStores.Buckets<PnCounter> minutes;
  private CommittedStores.Buckets<PnCounter> hours;

  @BeforeEach
  void start() {
    driver = TestDrivers.of(TallyConfig.defaults(), "window-topology-test");
    increments = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
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
  void eventsOnEitherSideOfABoundaryLandInTheirOwnBuckets() {
    Instant justBefore = NOON.minusMillis(1);
    send("c", 2, justBefore);
    send("c", 3, NOON);
    send("c", -1, NOON.plusMillis(999));

    assertThat(seconds.fetch("c", at("11:59:59"))).isEqualTo(new PnCounter(2, 0));
    assertThat(seconds.fetch("c", at("12:00:00"))).isEqualTo(new PnCounter(3, 1));
    assertThat(minutes.fetch("c", at("11:59:00"))).isEqualTo(new PnCounter(2, 0));
    assertThat(minutes.fetch("c", at("12:00:00"))).isEqualTo(new PnCounter(3, 1));
    assertThat(hours.fetch("c", at("11:00:00"))).isEqualTo(new PnCounter(2, 0));
    assertThat(hours.fetch("c", at("12:00:00"))).isEqualTo(new PnCounter(3, 1));
    assertThat(totals.get("c")).isEqualTo(new PnCounter(5, 1));
  }

  @Test
  void outOfOrderWithinGraceCountsInItsBucket() {
    send("c", 1, NOON.plusSeconds(30));
    send("c", 4, NOON.minusSeconds(29));

    assertThat(seconds.fetch("c", at("11:59:31"))).isEqualTo(new PnCounter(4, 0));
    assertThat(minutes.fetch("c", at("11:59:00"))).isEqualTo(new PnCounter(4, 0));
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void lateBeyondGraceCountsInTheTotalOnlyAndIsReported() {
    send("c", 1, NOON.plusSeconds(60));
    send("other", 1, NOON.plusSeconds(300));
    send("c", 7, NOON.plusSeconds(239));

    assertThat(totals.get("c")).isEqualTo(new PnCounter(8, 0));
    assertThat(minutes.fetch("c", at("12:03:00"))).isNull();
    assertThat(seconds.fetch("c", at("12:03:59"))).isNull();
    List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
    assertThat(letters).hasSize(1);
    assertThat(header(letters.get(0), DeadLetters.REASON)).isEqualTo("late");
    assertThat(header(letters.get(0), DeadLetters.MESSAGE)).contains("counted in the all-time total");

    send("c", 1, NOON.plusSeconds(241));
    assertThat(minutes.fetch("c", at("12:04:00"))).isEqualTo(new PnCounter(1, 0));
  }

  /** Issue 12, item 2: one event 59 minutes ahead used to make everyone's events late for an hour. */
  @Test
  void aFastClientClockCountsInItsOwnBucketAndMakesNoOneElseLate() {
    send("c", 1, NOON);
    increments.pipeInput(new TestRecord<>(bytes("fast"), serde.encode(event("fast", 1, NOON.plus(Duration.ofMinutes(59)))),
        NOON.plusMillis(10)));
    send("c", 2, NOON.plusSeconds(1));
    send("d", 3, NOON.plusSeconds(2));

    assertThat(dlq.isEmpty()).as("nothing late").isTrue();
    assertThat(minutes.fetch("fast", at("12:59:00"))).isEqualTo(new PnCounter(1, 0));
    assertThat(seconds.fetch("c", at("12:00:01"))).isEqualTo(new PnCounter(2, 0));
    assertThat(minutes.fetch("d", at("12:00:00"))).isEqualTo(new PnCounter(3, 0));
  }

  @Test
  void bucketsExpireAfterTheirTiersRetention() {
    send("c", 5, NOON);
    send("c", 1, NOON.plus(Duration.ofHours(4)));

    assertThat(seconds.fetch("c", at("12:00:00"))).as("1 s buckets are kept 2 h").isNull();
    assertThat(minutes.fetch("c", at("12:00:00"))).as("1 min buckets are kept 7 days").isEqualTo(new PnCounter(5, 0));

    send("c", 1, NOON.plus(Duration.ofDays(9)));
    // A window store drops old segments as its own stream time advances, which the closed buckets it
    // takes drive: here another counter's.
    send("d", 1, NOON.plus(Duration.ofDays(9)));
    send("d", 1, NOON.plus(Duration.ofDays(9)).plus(Duration.ofHours(1)));
    assertThat(minutes.fetch("c", at("12:00:00"))).isNull();
    assertThat(hours.fetch("c", at("12:00:00"))).as("1 h buckets are kept 400 days").isEqualTo(new PnCounter(5, 0));
    assertThat(totals.get("c")).isEqualTo(new PnCounter(7, 0));
  }

  @Test
  void anEventFarAheadOfItsRecordTimeIsInvalid() {
    byte[] value = serde.encode(event("c", 1, NOON.plus(Duration.ofHours(2))));
    increments.pipeInput(new TestRecord<>(bytes("c"), value, NOON));

    assertThat(totals.get("c")).isNull();
    assertThat(header(dlq.readRecord(), DeadLetters.MESSAGE)).contains("ahead of when it was written");
  }

  private void send(String counter, long delta, Instant eventTime) {
    // The record timestamp is when the producer wrote it: a little after the event.
    increments.pipeInput(new TestRecord<>(bytes(counter), serde.encode(event(counter, delta, eventTime)),
        eventTime.plusMillis(5)));
  }

  private static IncrementEvent event(String counter, long delta, Instant eventTime) {
    return IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(eventTime).build();
  }

  private static long at(String time) {
    return Instant.parse("2026-11-29T" + time + "Z").toEpochMilli();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
