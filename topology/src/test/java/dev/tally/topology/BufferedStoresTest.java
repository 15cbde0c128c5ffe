package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The write-back buffers: written down inside every commit (the hook exactly-once depends on), and
 * visible to interactive queries before that.
 */
class BufferedStoresTest {

  private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  private static final long MINUTE = 60_000;

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> increments;
  private HeadStore<PnCounter> totals;
  private BufferedWindowStore<String, PnCounter> minutes;

  @BeforeEach
  @SuppressWarnings("unchecked")
  void start() {
    driver = TestDrivers.of(TallyConfig.defaults(), "buffered-stores-test");
    increments = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    totals = (HeadStore<PnCounter>) driver.getStateStore(StoreNames.COUNTER_TOTALS);
    minutes = (BufferedWindowStore<String, PnCounter>) driver.getStateStore(StoreNames.COUNTS_1M);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  /**
   * Kafka Streams 4.4.0 flushes {@code CachedStateStore}s in {@code ProcessorStateManager.flushCache()},
   * before the record collector and the transaction commit; TopologyTestDriver commits through the same
   * {@code StreamTask.prepareCommit()} after every record. If a Kafka upgrade moved that hook, the stores
   * beneath the buffers would stay empty here, and exactly-once would commit offsets for counts no store
   * holds.
   */
  @Test
  void everyCommitWritesTheBufferDownToTheStoreBeneath() {
    for (int i = 0; i < 3; i++) {
      send("page", 2, T0);
    }
    send("page", -1, T0);
    send("page", 1, T0.plusSeconds(60));

    Head<PnCounter> head = totals.wrapped().get("page");
    assertThat(head.total).isEqualTo(new PnCounter(7, 1));
    assertThat(minutes.wrapped().fetch("page", T0.toEpochMilli())).as("closed minute").isEqualTo(new PnCounter(6, 1));
    assertThat(head.open(1)).as("open minute").isEqualTo(new PnCounter(1, 0));
  }

  @Test
  void queriesSeeWhatIsBufferedBeforeItIsWrittenDown() {
    long t0 = T0.toEpochMilli();
    totals.add("x", t0, t0, counter -> plus(counter, 4));
    totals.add("x", t0 + MINUTE, t0 + MINUTE, counter -> plus(counter, 3));
    totals.add("x", Head.NONE, t0 + MINUTE, counter -> plus(counter, -2));
    assertThat(totals.wrapped().get("x")).as("not yet written down").isNull();
    assertThat(minutes.wrapped().fetch("x", t0)).as("not yet written down").isNull();

    QueryResult<PnCounter> total = totals.query(KeyQuery.withKey("x"), PositionBound.unbounded(), new QueryConfig(false));
    assertThat(total.getResult()).isEqualTo(new PnCounter(7, 2));
    assertThat(minuteBuckets("x")).as("the closed minute from the tier's buffer, the open one from the head")
        .containsExactly(KeyValue.pair(t0, new PnCounter(4, 0)), KeyValue.pair(t0 + MINUTE, new PnCounter(3, 0)));

    totals.flushCache();
    minutes.flushCache();
    assertThat(totals.wrapped().get("x").total).isEqualTo(new PnCounter(7, 2));
    assertThat(minutes.wrapped().fetch("x", t0)).isEqualTo(new PnCounter(4, 0));
    assertThat(minuteBuckets("x")).containsExactly(
        KeyValue.pair(t0, new PnCounter(4, 0)), KeyValue.pair(t0 + MINUTE, new PnCounter(3, 0)));
  }

  /**
   * Local reads query an active copy directly (the query module's {@code LocalStores}): the registry
   * must find it by store and partition, know it is active (Kafka's internal task context, pinned
   * with the version), and forget it once closed.
   */
  @Test
  void anOpenActiveCopyIsFoundByStoreAndPartitionAndAnswersAsInteractiveQueriesDo() {
    TaskStores stores = new TaskStores();
    try (TopologyTestDriver own = TestDrivers.of(TallyConfig.defaults(), "task-stores-test", stores)) {
      IncrementEvent event = IncrementEvent.newBuilder().setCounter("page").setDelta(2).setEventTime(T0).build();
      own.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer())
          .pipeInput("page".getBytes(StandardCharsets.UTF_8), new IncrementEventSerde().encode(event), T0);

      StateStore copy = stores.activeCopy(StoreNames.COUNTER_TOTALS, 0);
      assertThat(copy).isNotNull();
      assertThat(copy.query(KeyQuery.withKey("page"), PositionBound.unbounded(), new QueryConfig(false)).getResult())
          .isEqualTo(new PnCounter(2, 0));
      assertThat(stores.activeCopy(StoreNames.COUNTS_1M, 0)).isNotNull();
      assertThat(stores.activeCopy(StoreNames.COUNTER_TOTALS, 1)).as("a partition not here").isNull();
    }
    assertThat(stores.activeCopy(StoreNames.COUNTER_TOTALS, 0)).as("once closed").isNull();
  }

  @Test
  void anEventInAnOlderBucketThanTheOpenOneAddsToThatBucket() {
    long t0 = T0.toEpochMilli();
    totals.add("x", t0 + MINUTE, t0 + MINUTE, counter -> plus(counter, 3));
    totals.add("x", t0, t0 + MINUTE, counter -> plus(counter, 4));
    totals.add("x", t0 + 2 * MINUTE, t0 + 2 * MINUTE, counter -> plus(counter, 5));
    totals.add("x", t0 + MINUTE, t0 + 2 * MINUTE, counter -> plus(counter, 1));

    assertThat(minuteBuckets("x")).containsExactly(KeyValue.pair(t0, new PnCounter(4, 0)),
        KeyValue.pair(t0 + MINUTE, new PnCounter(4, 0)), KeyValue.pair(t0 + 2 * MINUTE, new PnCounter(5, 0)));
  }

  /**
   * Buckets move from the head to the tier store while queries run: a query never sees one half moved
   * (missing, so the sum would drop, or in both places, so it would exceed what was added).
   */
  @Test
  @Timeout(60) // a lock taken in the wrong order deadlocks here
  void aQueryNeverSeesABucketHalfMoved() throws Exception {
    long t0 = T0.toEpochMilli();
    int events = 20_000;
    AtomicLong added = new AtomicLong();
    Thread writer = new Thread(() -> {
      for (int i = 0; i < events; i++) {
        long time = t0 + i * 1_000L;
        totals.add("x", time, time, counter -> plus(counter, 1));
        added.incrementAndGet();
        if (i % 500 == 0) {
          totals.flushCache();
          minutes.flushCache();
        }
      }
    });
    writer.start();
    long last = 0;
    int reads = 0;
    while (writer.isAlive() || reads == 0) {
      long before = added.get();
      long sum = minuteBuckets("x", T0, T0.plusSeconds(events)).stream().mapToLong(b -> b.value.total()).sum();
      long after = added.get();
      // The writer counts an event just after adding it: one more may be visible than it counted.
      assertThat(sum).as("read %d", reads).isBetween(Math.max(last, before), after + 1);
      last = sum;
      reads++;
    }
    writer.join();
    assertThat(minuteBuckets("x", T0, T0.plusSeconds(events)).stream().mapToLong(b -> b.value.total()).sum())
        .isEqualTo(events);
  }

  @Test
  void aFullBufferIsWrittenDownEarly() {
    for (int i = 0; i < CounterTopology.BUFFER_MAX_KEYS; i++) {
      long delta = i;
      totals.add("k" + i, Head.NONE, 0, counter -> plus(counter, delta));
    }
    assertThat(totals.wrapped().get("k0").total).isEqualTo(PnCounter.ZERO);
    assertThat(totals.wrapped().approximateNumEntries()).isEqualTo(CounterTopology.BUFFER_MAX_KEYS);
  }

  /**
   * Sketches are bounded by what they weigh, not by their number: many small ones stay buffered to the
   * commit (each early write-down makes every later read of the transaction search Kafka's staged
   * writes), while a few large ones are written down once they pass the bound.
   */
  @Test
  @SuppressWarnings("unchecked")
  void aSketchBufferIsWrittenDownByWhatItsSketchesWeigh() {
    HeadStore<HllSketch> uniques = (HeadStore<HllSketch>) driver.getStateStore(StoreNames.UNIQUES_ALL);
    int small = 5 * CounterTopology.SKETCH_BUFFER_MAX_KEYS;
    for (int i = 0; i < small; i++) {
      uniques.add("small" + i, Head.NONE, 0, sketch -> UniqueSketches.add(sketch, "u", 14));
    }
    assertThat(uniques.wrapped().approximateNumEntries()).as("written down").isZero();

    // A sketch of 5,000 items is dense: about 8 KB (HLL_4) at lgK 14, against tens of bytes for one item.
    int large = 0;
    while (uniques.wrapped().approximateNumEntries() == 0) {
      String key = "large" + large++;
      for (int item = 0; item < 5_000; item++) {
        String value = "u" + item;
        uniques.add(key, Head.NONE, 0, sketch -> UniqueSketches.add(sketch, value, 14));
      }
    }
    long bound = CounterTopology.SKETCH_BUFFER_MAX_BYTES;
    int perSketch = UniqueSketches.add(null, "u", 14).getUpdatableSerializationBytes();
    int dense = uniques.total("large0").getUpdatableSerializationBytes();
    assertThat(dense).isGreaterThan(8_000);
    assertThat(perSketch).isLessThan(100);
    // Written down while the last large sketch filled: the bound lies between the weights without it and with it.
    long smalls = (long) small * perSketch;
    assertThat(smalls + (large - 1L) * dense).isLessThan(bound);
    assertThat(smalls + (long) large * dense).isGreaterThanOrEqualTo(bound);
    assertThat(uniques.wrapped().approximateNumEntries()).isEqualTo(small + large);
  }

  private static PnCounter plus(PnCounter counter, long delta) {
    return (counter == null ? PnCounter.ZERO : counter).plus(delta);
  }

  private List<KeyValue<Long, PnCounter>> minuteBuckets(String key) {
    return minuteBuckets(key, T0.minusSeconds(3600), T0.plusSeconds(3600));
  }

  private List<KeyValue<Long, PnCounter>> minuteBuckets(String key, Instant from, Instant to) {
    QueryResult<WindowStoreIterator<PnCounter>> windows = minutes.query(
        WindowKeyQuery.withKeyAndWindowStartRange(key, from, to),
        PositionBound.unbounded(), new QueryConfig(false));
    List<KeyValue<Long, PnCounter>> result = new ArrayList<>();
    try (WindowStoreIterator<PnCounter> iterator = windows.getResult()) {
      iterator.forEachRemaining(result::add);
    }
    return result;
  }

  private void send(String counter, long delta, Instant eventTime) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(eventTime).build();
    increments.pipeInput(counter.getBytes(StandardCharsets.UTF_8), new IncrementEventSerde().encode(event), eventTime);
  }
}
