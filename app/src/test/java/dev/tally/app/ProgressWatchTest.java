package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ProgressWatchTest {

  private static final TopicPartition P0 = new TopicPartition("tally.increments", 0);
  private static final TopicPartition P1 = new TopicPartition("tally.increments", 1);
  private static final Map<TopicPartition, String> MINE = Map.of(P0, "the task of partition 0", P1, "the task of partition 1");

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(60), now::get);

  @Test
  void aTaskWithInputWaitingAndNoProgressForTheStallTimeIsNamed() {
    watch.observe(MINE, Map.of(P0, 10L, P1, 50L), Map.of(P0, 100L, P1, 50L));
    now.addAndGet(59_999);
    watch.observe(MINE, Map.of(P0, 10L, P1, 50L), Map.of(P0, 100L, P1, 80L));
    assertThat(watch.stalled()).as("not yet 60 s").isEmpty();

    now.addAndGet(1);
    watch.observe(MINE, Map.of(P0, 10L, P1, 60L), Map.of(P0, 100L, P1, 90L));
    assertThat(watch.stalled()).containsExactly(
        "tally.increments-0 (the task of partition 0): no progress for 60 s with 90 records waiting");

    now.addAndGet(5_000);
    watch.observe(MINE, Map.of(P0, 11L, P1, 60L), Map.of(P0, 100L, P1, 90L));
    assertThat(watch.stalled()).as("one record of progress clears it").isEmpty();
  }

  @Test
  void anIdleCaughtUpTaskIsNeverStalled() {
    for (int i = 0; i < 10; i++) {
      watch.observe(MINE, Map.of(P0, 100L, P1, 7L), Map.of(P0, 100L, P1, 7L));
      now.addAndGet(30_000);
    }
    assertThat(watch.stalled()).isEmpty();
  }

  @Test
  void aPartitionWithNoCommitYetCountsFromTheStart() {
    watch.observe(Map.of(P0, "t0"), Map.of(), Map.of(P0, 5L));
    now.addAndGet(61_000);
    watch.observe(Map.of(P0, "t0"), Map.of(), Map.of(P0, 5L));
    assertThat(watch.stalled()).containsExactly("tally.increments-0 (t0): no progress for 61 s with 5 records waiting");

    watch.observe(Map.of(), Map.of(), Map.of());
    assertThat(watch.stalled()).as("a partition no longer assigned here is not this instance's").isEmpty();
  }
}
