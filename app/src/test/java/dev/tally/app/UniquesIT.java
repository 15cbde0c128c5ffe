package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 200,000 events over HTTP with 50,000 possible items across 50 counters and the last 7 days: every unique
 * count lies within its bounds of the exact distinct count.
 */
class UniquesIT {

  private static final Logger log = LoggerFactory.getLogger(UniquesIT.class);
  private static final int EVENTS = 200_000;
  private static final int COUNTERS = 50;

  private static final List<Object[]> events = new ArrayList<>(); // {counter, eventTime, item}

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("uniques-it", 3, 2);

  @BeforeAll
  static void start() {
    Random random = new Random(50_000);
    long now = System.currentTimeMillis();
    long start = now - Duration.ofDays(7).toMillis();
    long step = Duration.ofDays(7).toMillis() / EVENTS;
    StringBuilder batch = new StringBuilder();
    for (int i = 0; i < EVENTS; i++) {
      String counter = "article:" + (random.nextInt(COUNTERS) + 1);
      long eventTime = start + i * step;
      String item = "visitor-" + random.nextInt(50_000);
      events.add(new Object[] {counter, eventTime, item});
      batch.append(String.format("{\"counter\":\"%s\",\"eventTime\":%d,\"item\":\"%s\"}%n", counter, eventTime, item));
      if ((i + 1) % 10_000 == 0) {
        assertThat(tally.client().post("/v1/events", batch.toString()).status()).isEqualTo(202);
        batch.setLength(0);
      }
    }
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      long total = 0;
      for (int c = 1; c <= COUNTERS; c++) {
        total += tally.client().counter("article:" + c)[0];
      }
      assertThat(total).isEqualTo(EVENTS);
    });
  }

  @Test
  void allTimeUniquesOfEveryCounterAreWithinBounds() {
    for (int c = 1; c <= COUNTERS; c++) {
      String counter = "article:" + c;
      JsonNode body = tally.client().get("/v1/counters/" + counter + "/uniques?confidence=3").body();
      assertWithin(body, distinct(Set.of(counter), Long.MIN_VALUE, Long.MAX_VALUE));
    }
  }

  @Test
  void windowedUniquesAreWithinBounds() {
    for (String window : List.of("PT1H", "PT6H", "P1D", "P3D", "P7D")) {
      JsonNode body = tally.client().get("/v1/counters/article:1/uniques?window=" + window + "&confidence=3").body();
      long from = Instant.parse(body.get("from").textValue()).toEpochMilli();
      long to = Instant.parse(body.get("to").textValue()).toEpochMilli();
      assertThat(to - from).isGreaterThanOrEqualTo(Duration.parse(window).toMillis());
      assertWithin(body, distinct(Set.of("article:1"), from, to));
    }
  }

  @Test
  void unionOfFiftyCountersOverSevenDaysIsWithinBounds() {
    List<String> counters = IntStream.rangeClosed(1, COUNTERS).mapToObj(c -> "article:" + c).toList();
    Instant to = Instant.now().plusMillis(1);
    Instant from = to.minus(Duration.ofDays(7));
    String body = String.format("{\"counters\":[%s],\"from\":\"%s\",\"to\":\"%s\",\"confidence\":3}",
        counters.stream().map(c -> "\"" + c + "\"").collect(Collectors.joining(",")), from, to);

    long[] nanos = new long[21];
    JsonNode answer = null;
    for (int i = 0; i < nanos.length; i++) {
      long started = System.nanoTime();
      TallyClient.Response response = tally.client().post("/v1/uniques/union", body);
      nanos[i] = System.nanoTime() - started;
      assertThat(response.status()).isEqualTo(200);
      answer = response.body();
    }
    Arrays.sort(nanos);
    log.info("50-counter, 7-day union read over HTTP: median {} ms over {} reads", nanos[nanos.length / 2] / 1e6,
        nanos.length);
    long coveredFrom = Instant.parse(answer.get("from").textValue()).toEpochMilli();
    long coveredTo = Instant.parse(answer.get("to").textValue()).toEpochMilli();
    assertWithin(answer, distinct(new HashSet<>(counters), coveredFrom, coveredTo));
  }

  @Test
  void unionOfTwoCountersIsWithinBoundsAndBadInputIsA400() {
    JsonNode answer = tally.client().post("/v1/uniques/union", "{\"counters\":[\"article:1\",\"article:2\"]}").body();
    assertWithin(answer, distinct(Set.of("article:1", "article:2"), Long.MIN_VALUE, Long.MAX_VALUE));

    assertThat(tally.client().post("/v1/uniques/union", "{\"counters\":\"article:1\"}").status()).isEqualTo(400);
    assertThat(tally.client().post("/v1/uniques/union", "{\"counters\":[\"bad id\"]}").status()).isEqualTo(400);
    // Issue 12, item 15: an object as from once meant all time.
    assertThat(tally.client().post("/v1/uniques/union", "{\"counters\":[\"article:1\"],\"from\":{}}").status())
        .isEqualTo(400);
    assertThat(tally.client().get("/v1/counters/article:1/uniques?confidence=4").status()).isEqualTo(400);
    assertThat(tally.client().get("/v1/counters/article:1/uniques?window=P500D").status()).isEqualTo(400);
  }

  private static void assertWithin(JsonNode body, int distinct) {
    assertThat((long) distinct).as(body.toString())
        .isBetween(body.get("lowerBound").longValue(), body.get("upperBound").longValue());
  }

  private static int distinct(Set<String> counters, long from, long to) {
    Set<String> items = new HashSet<>();
    for (Object[] event : events) {
      long time = (Long) event[1];
      if (counters.contains(event[0]) && time >= from && time < to) {
        items.add((String) event[2]);
      }
    }
    return items.size();
  }
}
