package dev.tally.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StandbyUpdateListener.SuspendReason;
import org.junit.jupiter.api.Test;

class StoreCopiesTest {

  private static final String STORE = "counter-totals";
  private static final TopicPartition CHANGELOG = new TopicPartition("app-counter-totals-changelog", 2);

  private final AtomicReference<Map<String, Map<Integer, StoreCopies.Lag>>> lags = new AtomicReference<>(Map.of());
  private final MutableClock clock = new MutableClock();
  private final StoreCopies copies = new StoreCopies(lags::get, clock);

  @Test
  void anActiveCopyAnswersOnlyOnceASnapshotShowsItRunning() {
    assertThat(copies.active(STORE, 2).answerable()).as("nothing known yet").isFalse();

    copies.onRestoreStart(CHANGELOG, STORE, 0, 500);
    lags.set(Map.of(STORE, Map.of(2, lag(120, 500))));
    clock.tick();
    copies.refresh();
    assertThat(copies.active(STORE, 2)).extracting(StoreCopies.Status::answerable, StoreCopies.Status::lag)
        .containsExactly(false, 380L);

    lags.set(Map.of(STORE, Map.of(2, lag(500, 500))));
    clock.tick();
    copies.refresh();
    assertThat(copies.active(STORE, 2).answerable()).isTrue();
  }

  @Test
  void aRestoreThatBeginsAfterTheSnapshotMakesTheCopyUnanswerableAtOnce() {
    lags.set(Map.of(STORE, Map.of(2, lag(500, 500))));
    copies.refresh();
    assertThat(copies.active(STORE, 2).answerable()).isTrue();

    // Wiped and restoring again (a corrupted task): the snapshot still says caught up, but predates it.
    clock.tick();
    copies.onRestoreStart(CHANGELOG, STORE, 0, 500);
    assertThat(copies.active(STORE, 2).answerable()).isFalse();
    assertThat(copies.standby(STORE, 2).answerable()).isFalse();
  }

  @Test
  void aStandbyAnswersWithItsLagOnlyWhenCloseBehindAndSnapshotFresh() {
    lags.set(Map.of(STORE, Map.of(2, lag(450, 500))));
    copies.refresh();
    assertThat(copies.standby(STORE, 2)).extracting(StoreCopies.Status::answerable, StoreCopies.Status::lag)
        .containsExactly(true, 50L);

    lags.set(Map.of(STORE, Map.of(2, lag(300, 500))));
    clock.tick();
    copies.refresh();
    assertThat(copies.standby(STORE, 2).answerable()).as("200 behind").isFalse();

    lags.set(Map.of(STORE, Map.of(2, lag(0, 50))));
    clock.tick();
    copies.refresh();
    assertThat(copies.standby(STORE, 2).answerable()).as("restored nothing yet").isFalse();

    lags.set(Map.of(STORE, Map.of(2, lag(500, 500))));
    clock.tick();
    copies.refresh();
    assertThat(copies.standby(STORE, 2).answerable()).isTrue();
    clock.advance(StoreCopies.MAX_SNAPSHOT_AGE.toMillis() + 1);
    assertThat(copies.standby(STORE, 2).answerable()).as("snapshot too old").isFalse();
  }

  @Test
  void aSuspendedStandbyDoesNotAnswerUntilTheNextSnapshot() {
    lags.set(Map.of(STORE, Map.of(2, lag(500, 500))));
    copies.refresh();
    clock.tick();
    copies.onUpdateSuspended(CHANGELOG, STORE, 500, 500, SuspendReason.MIGRATED);
    assertThat(copies.standby(STORE, 2).answerable()).isFalse();
    clock.tick();
    copies.refresh();
    assertThat(copies.standby(STORE, 2).answerable()).isTrue();
  }

  @Test
  void aFailedSnapshotKeepsThePreviousOne() {
    lags.set(Map.of(STORE, Map.of(2, lag(500, 500))));
    copies.refresh();
    lags.set(null);
    clock.tick();
    copies.refresh(); // Map.copyOf(null) throws, as an unreachable broker would
    assertThat(copies.active(STORE, 2).answerable()).isTrue();
  }

  private static StoreCopies.Lag lag(long position, long end) {
    return new StoreCopies.Lag(position, end);
  }

  private static final class MutableClock extends Clock {
    private long millis = 1_000_000;

    void tick() {
      millis++;
    }

    void advance(long by) {
      millis += by;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
