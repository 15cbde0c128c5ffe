package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stop a node, start it again on the same data directory: every total is what it was. */
class RestartIT {

  @TempDir
  Path dataDir;

  @Test
  void totalsSurviveARestartOnTheSameDataDir() throws Exception {
    NodeSettings settings = new NodeSettings(Optional.empty(), Ports.free(), "localhost", Ports.free(), dataDir,
        3, "restart-it-" + UUID.randomUUID(), "exactly_once_v2", 1, 10_000, 0, Map.of());
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

    try (TallyNode node = TallyNode.start(settings)) {
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
}
