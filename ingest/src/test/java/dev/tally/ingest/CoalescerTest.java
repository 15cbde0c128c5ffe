package dev.tally.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.schemas.IncrementEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CoalescerTest {

  private static final Instant T = Instant.parse("2026-11-29T12:00:00.100Z");

  /** Records what it is asked to send and acknowledges at once. */
  private static final class Recorder implements EventSender {
    final List<IncrementEvent> sent = new ArrayList<>();

    @Override
    public synchronized CompletableFuture<RecordMetadata> send(IncrementEvent event) {
      sent.add(event);
      return CompletableFuture.completedFuture(new RecordMetadata(new TopicPartition("t", 0), sent.size(), 0, 0, 0, 0));
    }
  }

  @Test
  void mergesSameCounterSecondAndSignOnly() {
    Recorder recorder = new Recorder();
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    try (Coalescer coalescer = new Coalescer(recorder, Duration.ofHours(1))) {
      futures.add(coalescer.send(event("a", 2, T)));
      futures.add(coalescer.send(event("a", 3, T.plusMillis(800))));
      futures.add(coalescer.send(event("a", -4, T)));
      futures.add(coalescer.send(event("a", 1, T.plusSeconds(1))));
      futures.add(coalescer.send(event("b", 7, T)));
      futures.add(coalescer.send(IncrementEvent.newBuilder(event("a", 1, T)).setItem("u1").build()));
      assertThat(futures.get(0)).as("held until the flush").isNotDone();
      assertThat(futures.get(5)).as("an item is never held").isDone();
      futures.add(coalescer.send(event("c", Long.MAX_VALUE, T)));
      futures.add(coalescer.send(event("c", 1, T)));
      coalescer.flush();
    }

    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(recorder.sent).extracting(e -> e.getCounter() + ":" + e.getDelta())
        .as("merged, in order of each merge's first event; the item event is never held")
        .containsExactly("a:1", "a:5", "a:-4", "a:1", "b:7", "c:" + Long.MAX_VALUE, "c:1");
    long sum = recorder.sent.stream().filter(e -> e.getCounter().equals("a")).mapToLong(IncrementEvent::getDelta).sum();
    assertThat(sum).isEqualTo(2 + 3 - 4 + 1 + 1);
  }

  private static IncrementEvent event(String counter, long delta, Instant time) {
    return IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(time).build();
  }
}
