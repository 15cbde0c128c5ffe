package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Stop a node, start it again on the same data directory: every total is what it was. */
class RestartIT {

  @TempDir
  Path dataDir;

  @Test
  void totalsSurviveARestartOnTheSameDataDir() throws Exception {
    NodeSettings settings = new NodeSettings(Optional.empty(), Ports.free(), "localhost", Ports.free(), Ports.free(),
        "127.0.0.1", Optional.empty(), dataDir, 3, 1, "restart-it-" + UUID.randomUUID(), "exactly_once_v2", 1, TallyConfig.defaults(), 0,
        Map.of(), 0, Optional.empty(), Map.of(), Limits.DEFAULTS);
    long[][] expected = new long[10][];
    String[] token = new String[1];
    try (TallyNode node = TallyNode.start(settings)) {
      TallyClient client = new TallyClient(node.httpPort()).awaitReady();
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < 1_000; i++) {
        batch.append(String.format("{\"counter\":\"r%d\",\"delta\":%d}%n", i % 10, i % 7 - 2));
      }
      TallyClient.Response written = client.post("/v1/events", batch.toString());
      assertThat(written.status()).isEqualTo(202);
      token[0] = written.body().get("position").asText();
      for (int c = 0; c < 10; c++) {
        long increments = 0;
        long decrements = 0;
        for (int i = c; i < 1_000; i += 10) {
          long delta = i % 7 - 2;
          if (delta >= 0) {
            increments += delta;
          } else {
            decrements -= delta;
          }
        }
        expected[c] = new long[] {increments - decrements, increments, decrements};
      }
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        for (int c = 0; c < 10; c++) {
          assertThat(client.counter("r" + c)).containsExactly(expected[c]);
        }
      });
    }

    // At start Kafka reads the offsets of every task with local state, to report them to the assignor.
    // The window stores nothing was written to yet (no item, so no unique tier) have no segment to keep
    // offsets in; they made each task count as corrupt there, and its state go unreported.
    ListAppender<ILoggingEvent> kafkaWarnings = new ListAppender<>();
    Logger stateLogger = (Logger) LoggerFactory.getLogger("org.apache.kafka.streams.processor.internals");
    kafkaWarnings.start();
    stateLogger.addAppender(kafkaWarnings);
    try (TallyNode node = TallyNode.start(settings)) {
      stateLogger.detachAppender(kafkaWarnings);
      assertThat(kafkaWarnings.list).extracting(ILoggingEvent::getFormattedMessage)
          .noneMatch(message -> message.contains("corrupted") || message.contains("did not find checkpoint offsets"));
      TallyClient client = new TallyClient(node.httpPort()).awaitReady();
      for (int c = 0; c < 10; c++) {
        assertThat(client.counter("r" + c)).as("r" + c).containsExactly(expected[c]);
      }
      assertThat(client.post("/v1/counters/r0/increments", "{\"delta\":1}").status()).isEqualTo(202);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(client.counter("r0")[0]).isEqualTo(expected[0][0] + 1));

      // Stream time survived the restart: an event 10 minutes behind it is late, as it was before.
      long tenMinutesAgo = System.currentTimeMillis() - 600_000;
      assertThat(client.post("/v1/counters/r0/increments",
          "{\"delta\":100,\"eventTime\":" + tenMinutesAgo + "}").status()).isEqualTo(202);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(client.counter("r0")[0]).isEqualTo(expected[0][0] + 101));
      assertThat(client.get("/v1/counters/r0/last?window=PT1H").body().get("count").longValue())
          .as("the late event is in no window: the hour holds every other event, and only them")
          .isEqualTo(expected[0][0] + 1);
    }

    // As if the tasks had moved to an instance without their state: restored from the changelogs, the
    // stores know how far their task got, so a read after the first batch's token answers at once
    // (it waited out its budget and answered 503 when positions were not restored). Uniques and windows
    // too, though the batch had no items.
    Utils.delete(dataDir.resolve("streams").toFile());
    try (TallyNode node = TallyNode.start(settings)) {
      TallyClient client = new TallyClient(node.httpPort()).awaitReady();
      for (String read : List.of("/v1/counters/r3", "/v1/counters/r3/uniques", "/v1/counters/r3/last?window=PT1H",
          "/v1/counters/r3/rate")) {
        TallyClient.Response response = client.get(read + (read.contains("?") ? "&" : "?") + "after=" + token[0]);
        assertThat(response.status()).as(read + " " + response.body()).isEqualTo(200);
      }
      assertThat(client.counter("r3")).containsExactly(expected[3]);
    }
  }

  /**
   * Issue 12, item 16: a stop closed HTTP while the coalescer still held increments, so their clients
   * saw an error and sent them again, and both copies counted. Now a stop answers what is in flight,
   * so what was counted is exactly what was answered 202.
   */
  private static final int BATCH = 5_000;

  @Test
  void aStopUnderLoadAnswersEveryIncrementItCounts() throws Exception {
    NodeSettings settings = new NodeSettings(Optional.empty(), Ports.free(), "localhost", Ports.free(), Ports.free(),
        "127.0.0.1", Optional.empty(), dataDir, 3, 1, "stop-it-" + UUID.randomUUID(), "exactly_once_v2", 1, TallyConfig.defaults(), 0,
        Map.of(), 0, Optional.empty(), Map.of(), Limits.DEFAULTS);
    AtomicLong accepted = new AtomicLong();
    List<Integer> otherAnswers = new CopyOnWriteArrayList<>();
    // How each client's loop ended, so that a failure says whether a request was cut off mid-way.
    List<String> endings = new CopyOnWriteArrayList<>();
    TallyNode node = TallyNode.start(settings);
    new TallyClient(node.httpPort()).awaitReady();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
    // Batches, so that a stop finds several in flight, each a few hundred milliseconds long.
    String batch = "{\"counter\":\"stopping\"}\n".repeat(BATCH);
    HttpRequest increment = HttpRequest.newBuilder(URI.create("http://localhost:" + node.httpPort() + "/v1/events"))
        .timeout(Duration.ofSeconds(40)).POST(HttpRequest.BodyPublishers.ofString(batch)).build();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    for (int c = 0; c < 4; c++) {
      clients.submit(() -> {
        while (true) {
          try {
            int status = http.send(increment, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 202) {
              accepted.addAndGet(BATCH);
            } else {
              otherAnswers.add(status);
            }
          } catch (IOException e) {
            endings.add(e.toString());
            return null; // the listener is gone
          }
        }
      });
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> accepted.get() >= 20 * BATCH);
    long stopStarted = System.nanoTime();
    node.close();
    long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopStarted);
    clients.shutdown();
    assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    assertThat(otherAnswers).as("answers other than 202").allMatch(status -> status == 503);

    try (TallyNode again = TallyNode.start(settings)) {
      TallyClient client = new TallyClient(again.httpPort()).awaitReady();
      // One more increment, and a read after it: its partition's earlier records are all counted then.
      TallyClient.Response last = client.post("/v1/counters/stopping/increments", "{}");
      assertThat(last.status()).isEqualTo(202);
      TallyClient.Response read = client.get("/v1/counters/stopping?after=" + last.body().get("position").asText());
      assertThat(read.status()).as(read.body().toString()).isEqualTo(200);
      assertThat(read.body().get("total").longValue())
          .as("accepted %d, other answers %s, the stop took %d ms, clients ended with %s", accepted.get(),
              otherAnswers, stopMillis, endings)
          .isEqualTo(accepted.get() + 1);
    }
  }
}
