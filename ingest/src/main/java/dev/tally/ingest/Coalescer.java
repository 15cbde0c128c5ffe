package dev.tally.ingest;

import dev.tally.schemas.IncrementEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Merges increments of the same counter that arrive within a short interval (default 5 ms) into one event
 * with the summed delta, before sending. Only events without {@code item} and {@code eventId} merge, and
 * only with events of the same sign and the same second of event time, so totals, increments, decrements
 * and 1-second buckets stay exact.
 *
 * <p>It adapts to load: while nothing waits, the first event of a key in an interval is sent at once;
 * the events of that key that follow it within the interval wait and merge, and so does every event
 * after one that waits, so that none overtakes another (a batch of history depends on that order for
 * lateness). So a counter written now and then never waits, and a hot one costs at most two sends per
 * interval. The trade-off for a hot counter: an event waits up to one interval longer, and the topology
 * sees (and rates) one event per merge, not one per increment. Every caller's future completes when the event that carried its increment is acknowledged;
 * a merged event carries the newest event time of its second. Sends leave in the order they were taken,
 * also when a sum that would overflow sends the pending batch early. An idle coalescer schedules
 * nothing: a flush is scheduled when an interval opens, not every interval. Thread-safe.
 */
public final class Coalescer implements EventSender, AutoCloseable {

  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(5);

  private record Key(String counter, long second, boolean negative) {}

  private static final class Pending {
    private final IncrementEvent first;
    private long delta;
    /** The newest event time merged: the merged event carries it, so stream time is not held back. */
    private Instant latest;
    private final List<CompletableFuture<RecordMetadata>> waiters = new ArrayList<>();

    private Pending(IncrementEvent first) {
      this.first = first;
      this.delta = first.getDelta();
      this.latest = first.getEventTime();
    }
  }

  private final EventSender sender;
  private final ScheduledThreadPoolExecutor flusher;
  private final long intervalNanos;
  /**
   * Whether a flush is scheduled. One is while an interval is open (a key was sent at once, or events
   * wait), and none while the coalescer is idle, so an idle one never wakes.
   */
  private boolean flushScheduled;
  /** In order of each entry's first event, so a flush keeps the events' order: lateness depends on it. */
  private Map<Key, Pending> pending = new LinkedHashMap<>();
  /** Keys sent at once in the current interval: their next events wait and merge. */
  private Set<Key> sentThisInterval = new HashSet<>();
  /** Held while a batch is taken and sent, so batches leave in the order they were taken. */
  private final Object sendOrder = new Object();

  public Coalescer(EventSender sender, Duration interval) {
    this.sender = sender;
    this.intervalNanos = interval.toNanos();
    this.flusher = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "tally-coalescer");
      thread.setDaemon(true);
      return thread;
    });
    // close() flushes what waits itself, without waiting out the interval.
    flusher.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  @Override
  public CompletableFuture<RecordMetadata> send(IncrementEvent event) {
    if (event.getItem() != null || event.getEventId() != null) {
      // Never merged, and never ahead of what waits.
      synchronized (sendOrder) {
        flush();
        return sendNow(event);
      }
    }
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    Key key = new Key(event.getCounter(), Math.floorDiv(event.getEventTime().toEpochMilli(), 1000),
        event.getDelta() < 0);
    while (true) {
      boolean now = false;
      synchronized (this) {
        Pending merged = pending.get(key);
        if (merged == null && pending.isEmpty() && sentThisInterval.add(key)) {
          now = true;
          openInterval();
        } else if (merged == null) {
          openInterval();
          merged = new Pending(event);
          pending.put(key, merged);
          merged.waiters.add(result);
          return result;
        } else {
          long delta = merged.delta + event.getDelta();
          // Same sign: the sum overflowed if its sign flipped.
          if ((delta < 0) == (event.getDelta() < 0)) {
            merged.delta = delta;
            if (event.getEventTime().isAfter(merged.latest)) {
              merged.latest = event.getEventTime();
            }
            merged.waiters.add(result);
            return result;
          }
        }
      }
      if (now) {
        synchronized (sendOrder) {
          return sendNow(event);
        }
      }
      // The sum would not fit: send what is pending first, in order, then start afresh with this event.
      flush();
    }
  }

  /** Schedules the flush that ends the open interval, unless one is scheduled. Called holding this. */
  private void openInterval() {
    if (!flushScheduled) {
      try {
        flusher.schedule(() -> flush(true), intervalNanos, TimeUnit.NANOSECONDS);
        flushScheduled = true;
      } catch (RejectedExecutionException e) {
        // Closing: close() flushes what waits once the flusher has stopped.
      }
    }
  }

  /** Sends everything pending now. */
  public void flush() {
    flush(false);
  }

  /**
   * @param timed whether the scheduled flush calls it: it takes whatever waits together with clearing
   *     {@link #flushScheduled}, so an event that waits always has a flush ahead of it
   */
  private void flush(boolean timed) {
    synchronized (sendOrder) {
      Map<Key, Pending> batch;
      synchronized (this) {
        if (timed) {
          flushScheduled = false;
        }
        sentThisInterval = new HashSet<>();
        if (pending.isEmpty()) {
          return;
        }
        batch = pending;
        pending = new LinkedHashMap<>();
      }
      batch.values().forEach(this::send);
    }
  }

  private void send(Pending merged) {
    IncrementEvent first = merged.first;
    IncrementEvent event = merged.waiters.size() == 1 ? first
        : new IncrementEvent(first.getCounter(), merged.delta, first.getItem(), merged.latest, first.getEventId());
    sendNow(event).whenComplete((metadata, error) -> merged.waiters.forEach(waiter -> {
      if (error != null) {
        waiter.completeExceptionally(error);
      } else {
        waiter.complete(metadata);
      }
    }));
  }

  /** Sends {@code event}; a send that throws is a failed future, never out of the flusher's task. */
  private CompletableFuture<RecordMetadata> sendNow(IncrementEvent event) {
    try {
      return sender.send(event);
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again.
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Flushes scheduled and not yet run: one while an interval is open, none while idle. */
  int scheduledFlushes() {
    return flusher.getQueue().size();
  }

  @Override
  public void close() {
    flusher.shutdown();
    try {
      flusher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flush();
  }
}
