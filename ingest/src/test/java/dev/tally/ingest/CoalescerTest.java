package dev.tally.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.schemas.IncrementEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

  /** Issue 12, item 11: a send that threw once stopped the flusher, and every later increment waited out 30 s. */
  @Test
  void aSendThatThrowsFailsItsWaitersAndTheFlusherGoesOn() {
    AtomicInteger calls = new AtomicInteger();
    Recorder recorder = new Recorder();
    EventSender flaky = event -> {
      if (calls.incrementAndGet() == 2) {
        throw new IllegalStateException("the flusher's first send fails");
      }
      return recorder.send(event);
    };
    try (Coalescer coalescer = new Coalescer(flaky, Duration.ofMillis(200))) {
      assertThat(coalescer.send(event("a", 1, T))).as("sent at once").isCompleted();
      CompletableFuture<RecordMetadata> held = coalescer.send(event("a", 1, T));
      await().atMost(Duration.ofSeconds(10)).until(held::isDone);
      assertThat(held).isCompletedExceptionally();
      coalescer.send(event("a", 1, T));
      CompletableFuture<RecordMetadata> heldAgain = coalescer.send(event("a", 1, T));
      await().atMost(Duration.ofSeconds(10)).until(heldAgain::isDone);
      assertThat(heldAgain).as("the flusher still runs").isCompletedWithValueMatching(metadata -> metadata != null);
    }
  }

  /** Issue 13: a counter written now and then never waits; only a hot one's events merge. */
  @Test
  void aQuietCounterIsSentAtOnceAndOnlyWhatFollowsWithinTheIntervalWaits() {
    Recorder recorder = new Recorder();
    try (Coalescer coalescer = new Coalescer(recorder, Duration.ofHours(1))) {
      assertThat(coalescer.send(event("quiet", 1, T))).isCompleted();
      CompletableFuture<RecordMetadata> second = coalescer.send(event("quiet", 2, T));
      CompletableFuture<RecordMetadata> third = coalescer.send(event("quiet", 3, T));
      assertThat(second).isNotDone();
      coalescer.flush();
      assertThat(second).isCompleted();
      assertThat(third).isCompleted();
      assertThat(coalescer.send(event("quiet", 4, T))).as("a new interval: at once again").isCompleted();
    }
    assertThat(recorder.sent).extracting(IncrementEvent::getDelta).containsExactly(1L, 5L, 4L);
  }

  /** An idle coalescer used to wake every interval (200 times a second) to find nothing to send. */
  @Test
  void anIdleCoalescerSchedulesNothingAndAnOpenIntervalOneFlush() {
    Recorder recorder = new Recorder();
    // Long enough that the interval cannot end between two of the assertions on a loaded machine.
    try (Coalescer coalescer = new Coalescer(recorder, Duration.ofSeconds(3))) {
      assertThat(coalescer.scheduledFlushes()).as("idle").isZero();
      assertThat(coalescer.send(event("a", 1, T))).as("sent at once").isCompleted();
      assertThat(coalescer.scheduledFlushes()).as("an interval opened").isEqualTo(1);
      CompletableFuture<RecordMetadata> waiting = coalescer.send(event("a", 2, T));
      coalescer.send(event("b", 3, T));
      assertThat(coalescer.scheduledFlushes()).as("one flush per interval").isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(waiting::isDone);
      await().atMost(Duration.ofSeconds(10)).until(() -> coalescer.scheduledFlushes() == 0);
      assertThat(coalescer.send(event("a", 4, T))).as("a new interval: at once again").isCompleted();
    }
    assertThat(recorder.sent).extracting(e -> e.getCounter() + ":" + e.getDelta())
        .containsExactly("a:1", "a:2", "b:3", "a:4");
  }

  /**
   * Once one event waits, the events after it wait too: a batch of history sent in time order once had
   * its waiting events sent after later seconds, and thousands of them arrived late.
   */
  @Test
  void nothingOvertakesAnEventThatWaits() {
    Recorder recorder = new Recorder();
    try (Coalescer coalescer = new Coalescer(recorder, Duration.ofHours(1))) {
      coalescer.send(event("a", 1, T));
      coalescer.send(event("a", 2, T));
      CompletableFuture<RecordMetadata> later = coalescer.send(event("b", 3, T.plusSeconds(1)));
      assertThat(later).as("behind a waiting event").isNotDone();
      coalescer.flush();
    }
    assertThat(recorder.sent).extracting(e -> e.getCounter() + ":" + e.getDelta())
        .containsExactly("a:1", "a:2", "b:3");
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
      futures.add(coalescer.send(event("a", 5, T.plusMillis(600))));
      futures.add(coalescer.send(event("b", 7, T)));
      assertThat(futures.get(0)).as("nothing waited: sent at once").isDone();
      assertThat(futures.subList(1, 6)).as("held until the flush").noneMatch(CompletableFuture::isDone);
      futures.add(coalescer.send(IncrementEvent.newBuilder(event("a", 1, T)).setItem("u1").build()));
      assertThat(futures).as("an item is never held, nor sent ahead of what waits").allMatch(CompletableFuture::isDone);
      futures.add(coalescer.send(event("c", Long.MAX_VALUE, T)));
      futures.add(coalescer.send(event("c", 1, T)));
      coalescer.flush();
    }

    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(recorder.sent).extracting(e -> e.getCounter() + ":" + e.getDelta())
        .as("merged by counter, second and sign, in order of each merge's first event")
        .containsExactly("a:2", "a:8", "a:-4", "a:1", "b:7", "a:1", "c:" + Long.MAX_VALUE, "c:1");
    long sum = recorder.sent.stream().filter(e -> e.getCounter().equals("a")).mapToLong(IncrementEvent::getDelta).sum();
    assertThat(sum).isEqualTo(2 + 3 - 4 + 1 + 5 + 1);
  }

  @Test
  void aMergedEventCarriesTheNewestTimeOfItsSecond() {
    Recorder recorder = new Recorder();
    try (Coalescer coalescer = new Coalescer(recorder, Duration.ofHours(1))) {
      coalescer.send(event("a", 1, T.plusMillis(300)));
      coalescer.send(event("a", 1, T.plusMillis(800)));
      coalescer.send(event("a", 1, T));
      coalescer.flush();
    }
    assertThat(recorder.sent).extracting(IncrementEvent::getEventTime)
        .as("the first at once; the two that followed merged, with the newer time")
        .containsExactly(T.plusMillis(300), T.plusMillis(800));
  }

  /**
   * Issue 12, item 14: a sum that would overflow sends the pending batch early; a flush meanwhile once
   * sent the newer event before that batch.
   */
  @Test
  @Timeout(30)
  void anOverflowNeverLetsANewerEventOvertakeTheBatchBeforeIt() throws Exception {
    CountDownLatch sendingBatch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Queue<String> sent = new ConcurrentLinkedQueue<>();
    EventSender slowOnTheBatch = event -> {
      if (event.getCounter().equals("a") && event.getDelta() == 2) {
        sendingBatch.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      sent.add(event.getCounter() + ":" + event.getDelta());
      return CompletableFuture.completedFuture(null);
    };
    try (Coalescer coalescer = new Coalescer(slowOnTheBatch, Duration.ofHours(1))) {
      // The first event goes at once; the second of its key waits, and so does everything after it.
      coalescer.send(event("a", 1, T));
      coalescer.send(event("a", 2, T));
      coalescer.send(event("c", Long.MAX_VALUE, T));
      Thread overflowing = new Thread(() -> coalescer.send(event("c", 1, T)));
      overflowing.start();
      sendingBatch.await();
      Thread flushing = new Thread(coalescer::flush);
      flushing.start();
      // The flush either waits for the batch being sent, or (the old defect) sends "c:1" at once.
      await().until(() -> flushing.getState() == Thread.State.BLOCKED || !flushing.isAlive());
      release.countDown();
      overflowing.join();
      flushing.join();
      coalescer.flush();
    }
    assertThat(sent).containsExactly("a:1", "a:2", "c:" + Long.MAX_VALUE, "c:1");
  }

  private static IncrementEvent event(String counter, long delta, Instant time) {
    return IncrementEvent.newBuilder().setCounter(counter).setDelta(delta).setEventTime(time).build();
  }
}
