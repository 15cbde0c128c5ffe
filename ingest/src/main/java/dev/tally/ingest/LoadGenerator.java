package dev.tally.ingest;

import dev.tally.schemas.IncrementEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends increments at a steady rate: a share of them to one hot counter, the rest spread uniformly over
 * {@code counters} others ({@code load:0} ..), each with one of {@code uniques} items when that is above
 * zero. Counts what the broker acknowledged, so a reader can check the totals.
 */
public final class LoadGenerator {

  /** What a run asks for. */
  public record Plan(int eventsPerSecond, int counters, double hotShare, int uniques, Duration duration) {}

  private final EventSender sender;
  private final Clock clock;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean stopped;

  public LoadGenerator(EventSender sender, Clock clock) {
    this.sender = sender;
    this.clock = clock;
  }

  /** Sends for the plan's duration or until {@link #stop()}, pacing in slices of 10 ms. */
  public void run(Plan plan, long seed) {
    Random random = new Random(seed);
    long start = System.nanoTime();
    long end = start + plan.duration().toNanos();
    long count = 0;
    while (!stopped && System.nanoTime() < end) {
      long due = (System.nanoTime() - start) * plan.eventsPerSecond() / 1_000_000_000L;
      for (; count < due; count++) {
        String counter = random.nextDouble() < plan.hotShare() ? "hot" : "load:" + random.nextInt(plan.counters());
        IncrementEvent.Builder event = IncrementEvent.newBuilder().setCounter(counter).setDelta(1)
            .setEventTime(clock.instant());
        if (plan.uniques() > 0) {
          event.setItem("visitor-" + random.nextInt(plan.uniques()));
        }
        sent.incrementAndGet();
        sender.send(event.build()).whenComplete((metadata, error) ->
            (error == null ? acknowledged : failed).incrementAndGet());
      }
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
  }

  public void stop() {
    stopped = true;
  }

  public long sent() {
    return sent.get();
  }

  public long acknowledged() {
    return acknowledged.get();
  }

  public long failed() {
    return failed.get();
  }
}
