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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * also when a sum that would overflow sends the pending batch early. Thread-safe.
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
  private final ScheduledExecutorService flusher;
  /** In order of each entry's first event, so a flush keeps the events' order: lateness depends on it. */
  private Map<Key, Pending> pending = new LinkedHashMap<>();
  /** Keys sent at once in the current interval: their next events wait and merge. */
  private Set<Key> sentThisInterval = new HashSet<>();
  /** Held while a batch is taken and sent, so batches leave in the order they were taken. */
  private final Object sendOrder = new Object();

  public Coalescer(EventSender sender, Duration interval) {
    this.sender = sender;
    this.flusher = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "tally-coalescer");
      thread.setDaemon(true);
      return thread;
    });
    flusher.scheduleAtFixedRate(this::flush, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
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
        } else if (merged == null) {
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

  /** Sends everything pending now. */
  public void flush() {
    synchronized (sendOrder) {
      Map<Key, Pending> batch;
      synchronized (this) {
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
    IncrementEvent event = merged.waiters.size() == 1 ? merged.first
        : IncrementEvent.newBuilder(merged.first).setDelta(merged.delta).setEventTime(merged.latest).build();
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
