package dev.tally.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 14, item 4: a per-counter limit of events per second at ingest. */
class CounterRateLimitTest {

  /** A clock that moves only when told. */
  private static final class Manual extends Clock {
    long millis = 1_764_460_800_000L;

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void eachCounterGetsItsLimitPerSecond() {
    Manual clock = new Manual();
    List<String> refused = new ArrayList<>();
    CounterRateLimit limit = new CounterRateLimit(3, clock, refused::add);
    for (int i = 0; i < 3; i++) {
      assertThat(limit.admit("a")).isTrue();
    }
    assertThat(limit.admit("a")).isFalse();
    assertThat(limit.admit("b")).as("another counter has its own").isTrue();
    clock.millis += 999;
    assertThat(limit.admit("a")).as("the same second").isFalse();
    clock.millis += 1;
    assertThat(limit.admit("a")).as("the next second").isTrue();
    assertThat(refused).containsExactly("a", "a");
  }

  @Test
  void noLimitAdmitsEverything() {
    CounterRateLimit none = new CounterRateLimit(0, new Manual(), counter -> { });
    for (int i = 0; i < 100_000; i++) {
      assertThat(none.admit("a")).isTrue();
    }
  }
}
