package dev.tally.ingest;

import dev.tally.schemas.IncrementEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Merges increments of the same counter that arrive within a short interval (default 5 ms) into one event
 * with the summed delta, before sending. Only events without {@code item} and {@code eventId} merge, and
 * only with events of the same sign and the same second of event time, so totals, increments, decrements
 * and 1-second buckets stay exact. The trade-off: an event waits up to one interval longer, and the
 * topology sees (and rates) one event per merge, not one per increment. Every caller's future completes
 * when the merged event is acknowledged. Thread-safe.
 */
public final class Coalescer implements EventSender, AutoCloseable {

  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(5);

  private record Key(String counter, long second, boolean negative) {}

  private static final class Pending {
    private final IncrementEvent first;
    private long delta;
    private final List<CompletableFuture<RecordMetadata>> waiters = new ArrayList<>();

    private Pending(IncrementEvent first) {
      this.first = first;
      this.delta = first.getDelta();
    }
  }

  private final EventSender sender;
  private final ScheduledExecutorService flusher;
  /** In order of each entry's first event, so a flush keeps the events' order: lateness depends on it. */
  private Map<Key, Pending> pending = new LinkedHashMap<>();

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
      return sender.send(event);
    }
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    Map<Key, Pending> overflowed = null;
    synchronized (this) {
      Key key = new Key(event.getCounter(), Math.floorDiv(event.getEventTime().toEpochMilli(), 1000),
          event.getDelta() < 0);
      Pending merged = pending.get(key);
      if (merged != null) {
        try {
          merged.delta = Math.addExact(merged.delta, event.getDelta());
        } catch (ArithmeticException e) {
          // The sum would not fit: send what is pending, in order, and start afresh with this event.
          overflowed = pending;
          pending = new LinkedHashMap<>();
          merged = null;
        }
      }
      if (merged == null) {
        merged = new Pending(event);
        pending.put(key, merged);
      }
      merged.waiters.add(result);
    }
    if (overflowed != null) {
      overflowed.values().forEach(this::send);
    }
    return result;
  }

  /** Sends everything pending now. */
  public void flush() {
    Map<Key, Pending> batch;
    synchronized (this) {
      if (pending.isEmpty()) {
        return;
      }
      batch = pending;
      pending = new LinkedHashMap<>();
    }
    batch.values().forEach(this::send);
  }

  private void send(Pending merged) {
    IncrementEvent event = merged.waiters.size() == 1 ? merged.first
        : IncrementEvent.newBuilder(merged.first).setDelta(merged.delta).build();
    sender.send(event).whenComplete((metadata, error) -> merged.waiters.forEach(waiter -> {
      if (error != null) {
        waiter.completeExceptionally(error);
      } else {
        waiter.complete(metadata);
      }
    }));
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
