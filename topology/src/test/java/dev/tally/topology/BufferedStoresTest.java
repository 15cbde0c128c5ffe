package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.WindowKeyQuery;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write-back buffers: written down inside every commit (the hook exactly-once depends on), and
 * visible to interactive queries before that.
 */
class BufferedStoresTest {

  private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> increments;
  private BufferedKeyValueStore<String, PnCounter> totals;
  private BufferedWindowStore<String, PnCounter> minutes;

  @BeforeEach
  @SuppressWarnings("unchecked")
  void start() {
    driver = TestDrivers.of(TallyConfig.defaults(), "buffered-stores-test");
    increments = driver.createInputTopic(TallyConfig.INCREMENTS_TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    totals = (BufferedKeyValueStore<String, PnCounter>) driver.getStateStore(StoreNames.COUNTER_TOTALS);
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
      send("page", 2);
    }
    send("page", -1);

    assertThat(totals.wrapped().get("page")).isEqualTo(new PnCounter(6, 1));
    assertThat(minutes.wrapped().fetch("page", T0.toEpochMilli())).isEqualTo(new PnCounter(6, 1));
  }

  @Test
  void queriesSeeWhatIsBufferedBeforeItIsWrittenDown() {
    totals.put("x", new PnCounter(5, 2));
    minutes.update("x", T0.toEpochMilli(), bucket -> new PnCounter(4, 0));
    assertThat(totals.wrapped().get("x")).as("not yet written down").isNull();

    QueryResult<PnCounter> total = totals.query(KeyQuery.withKey("x"), PositionBound.unbounded(), new QueryConfig(false));
    assertThat(total.getResult()).isEqualTo(new PnCounter(5, 2));
    QueryResult<WindowStoreIterator<PnCounter>> windows = minutes.query(
        WindowKeyQuery.withKeyAndWindowStartRange("x", T0.minusSeconds(3600), T0.plusSeconds(3600)),
        PositionBound.unbounded(), new QueryConfig(false));
    try (WindowStoreIterator<PnCounter> iterator = windows.getResult()) {
      assertThat(iterator.next()).isEqualTo(KeyValue.pair(T0.toEpochMilli(), new PnCounter(4, 0)));
      assertThat(iterator.hasNext()).isFalse();
    }

    totals.flushCache();
    minutes.flushCache();
    assertThat(totals.wrapped().get("x")).isEqualTo(new PnCounter(5, 2));
    assertThat(minutes.wrapped().fetch("x", T0.toEpochMilli())).isEqualTo(new PnCounter(4, 0));
  }

  @Test
  void aFullBufferIsWrittenDownEarly() {
    for (int i = 0; i < CounterTopology.BUFFER_MAX_KEYS; i++) {
      totals.put("k" + i, new PnCounter(i, 0));
    }
    assertThat(totals.wrapped().get("k0")).isEqualTo(new PnCounter(0, 0));
    assertThat(totals.wrapped().approximateNumEntries()).isEqualTo(CounterTopology.BUFFER_MAX_KEYS);
  }

  private void send(String counter, long delta) {
    IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(T0).build();
    increments.pipeInput(counter.getBytes(StandardCharsets.UTF_8), new IncrementEventSerde().encode(event), T0);
  }
}
