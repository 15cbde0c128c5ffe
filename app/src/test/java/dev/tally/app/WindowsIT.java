package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events with chosen event times over the last 3 hours, in time order, plus a few late ones: every
 * trailing, hopping and bucket read over HTTP equals a brute-force count over the interval it reports.
 */
class WindowsIT {

  private static final String COUNTER = "article:windows";

  private static final List<long[]> counted = new ArrayList<>(); // {eventTime, delta} that count in windows
  private static long expectedTotal;

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("windows-it", 3, 1);

  @BeforeAll
  static void start() {
    Random random = new Random(3);
    long now = System.currentTimeMillis();
    long t = now - Duration.ofHours(3).toMillis();
    List<String> lines = new ArrayList<>();
    while (t < now - 5_000) {
      t += random.nextInt(1_500);
      long eventTime = t - random.nextInt(20_000); // out of order, within the 1 min grace
      long delta = random.nextInt(10) - 2;
      counted.add(new long[] {eventTime, delta});
      expectedTotal += delta;
      lines.add(line(eventTime, delta));
    }
    // Late: 2 h 30 min behind the newest event time. Counted in the total, in no window. With an
    // eventId each, so that ingest does not coalesce them into one event.
    for (int i = 0; i < 5; i++) {
      lines.add(String.format("{\"counter\":\"%s\",\"delta\":1000,\"eventTime\":%d,\"eventId\":\"late-%d\"}",
          COUNTER, now - Duration.ofMinutes(150).toMillis() + i, i));
      expectedTotal += 1_000;
    }
    for (int from = 0; from < lines.size(); from += 2_000) {
      String batch = String.join("\n", lines.subList(from, Math.min(from + 2_000, lines.size())));
      assertThat(tally.client().post("/v1/events", batch).status()).isEqualTo(202);
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(tally.client().counter(COUNTER)[0]).isEqualTo(expectedTotal));
  }

  @Test
  void trailingWindowsEqualABruteForceCount() {
    for (String window : List.of("PT1S", "PT30S", "PT1M", "PT15M", "PT1H", "PT1H30M", "PT2H", "PT3H", "P1D")) {
      TallyClient.Response response = tally.client().get("/v1/counters/" + COUNTER + "/last?window=" + window);
      assertThat(response.status()).as(window + " " + response.body()).isEqualTo(200);
      JsonNode body = response.body();
      Instant from = Instant.parse(body.get("from").textValue());
      Instant to = Instant.parse(body.get("to").textValue());
      assertThat(body.get("count").longValue()).as(window + " " + body).isEqualTo(bruteForce(from, to));
      Duration asked = Duration.parse(window);
      assertThat(Duration.between(from, to)).isGreaterThanOrEqualTo(asked);
      if (asked.compareTo(Duration.ofMinutes(119)) < 0) {
        assertThat(Duration.between(from, to)).as("exact to the second").isEqualTo(asked);
        assertThat(body.get("granularity").textValue()).isEqualTo("PT1S");
      }
    }
  }

  @Test
  void hoppingWindowsEqualABruteForceCount() {
    Instant to = Instant.now();
    Instant from = to.minus(Duration.ofHours(3));
    JsonNode body = tally.client().get("/v1/counters/" + COUNTER + "/windows?size=PT1H&advance=PT5M&from=" + from
        + "&to=" + to).body();

    assertThat(body.get("windows").size()).isBetween(35, 37);
    for (JsonNode window : body.get("windows")) {
      Instant start = Instant.parse(window.get("start").textValue());
      Instant end = Instant.parse(window.get("end").textValue());
      assertThat(Duration.between(start, end)).isEqualTo(Duration.ofHours(1));
      assertThat(start.toEpochMilli() % 300_000).isZero();
      assertThat(window.get("count").longValue()).as(window.toString()).isEqualTo(bruteForce(start, end));
    }
  }

  @Test
  void minuteBucketsEqualABruteForceCount() {
    JsonNode body = tally.client().get("/v1/counters/" + COUNTER + "/windows?size=PT1M&from="
        + Instant.now().minus(Duration.ofMinutes(200))).body();

    assertThat(body.get("windows").size()).isBetween(199, 201);
    for (JsonNode window : body.get("windows")) {
      Instant start = Instant.parse(window.get("start").textValue());
      Instant end = Instant.parse(window.get("end").textValue());
      assertThat(window.get("count").longValue()).as(window.toString()).isEqualTo(bruteForce(start, end));
    }
  }

  @Test
  void lateEventsAreCountedInTheMetrics() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      String metrics = tally.client().text("/metrics");
      double late = metrics.lines().filter(line -> line.startsWith("kafka_stream_tally_late_total{"))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
      assertThat(late).isEqualTo(5.0);
    });
  }

  @Test
  void badWindowParametersAreA400() {
    String base = "/v1/counters/" + COUNTER;
    assertThat(tally.client().get(base + "/last?window=15m").status()).isEqualTo(400);
    assertThat(tally.client().get(base + "/last").status()).isEqualTo(400);
    assertThat(tally.client().get(base + "/last?window=P500D").status()).isEqualTo(400);
    assertThat(tally.client().get(base + "/windows?size=PT7M").status()).isEqualTo(400);
    assertThat(tally.client().get(base + "/windows?size=PT1H&advance=PT7M").status()).isEqualTo(400);
    assertThat(tally.client().get(base + "/windows?size=PT1M&from=2026-11-29T12:00:00Z&to=2026-11-29T11:00:00Z")
        .status()).isEqualTo(400);
    TallyClient.Response tooOld = tally.client().get(base + "/windows?size=PT1S&from=" + Instant.now().minus(Duration.ofHours(3)));
    assertThat(tooOld.status()).isEqualTo(400);
    assertThat(tooOld.body().get("error").textValue()).contains("retention");
  }

  /**
   * Issue 12, item 8: near the start of a tier's retention, windows were rounded out to the next tier:
   * about 55 copies of one hour for minute windows, and widened hopping windows.
   */
  @Test
  void windowsThatCanNoLongerBeReadExactlyAre400NotWidened() {
    String base = "/v1/counters/" + COUNTER;
    Instant weekAgo = Instant.now().minus(Duration.ofDays(7));
    for (String path : List.of(
        base + "/windows?size=PT1M&from=" + weekAgo.plus(Duration.ofMinutes(10)) + "&to="
            + weekAgo.plus(Duration.ofMinutes(40)),
        base + "/windows?size=PT1H&advance=PT5M&from=" + Instant.now().minus(Duration.ofDays(398)).plusSeconds(60)
            + "&to=" + Instant.now().minus(Duration.ofDays(397)))) {
      TallyClient.Response response = tally.client().get(path);
      assertThat(response.status()).as(path + " " + response.body()).isEqualTo(400);
      assertThat(response.body().get("error").textValue()).contains("exactly");
    }
    TallyClient.Response later = tally.client().get(base + "/windows?size=PT1M&from=" + weekAgo.plus(Duration.ofHours(2))
        + "&to=" + weekAgo.plus(Duration.ofHours(3)));
    assertThat(later.status()).as(later.body().toString()).isEqualTo(200);
    assertThat(later.body().get("windows")).hasSize(60);
  }

  /** Issue 12, item 4: these once looped until out of memory, or answered 500. */
  @Test
  void rangesBeyondAnyCalendarAnswer400() {
    String base = "/v1/counters/" + COUNTER;
    for (String path : List.of(
        base + "/windows?size=PT1M&from=9223372036300000000&to=9223372036854775807",
        base + "/windows?size=PT1H&advance=PT5M&from=-9223372036854775808&to=9223372036854775807",
        base + "/windows?size=PT1H&advance=PT5M&from=0&to=9223372036854775807",
        base + "/last?window=PT9223372036854775807S",
        base + "/windows?size=PT1M&from=%2B999999999-12-31T00:00:00Z",
        base + "/uniques?window=PT9223372036854775807S",
        base + "/uniques?from=0&to=9223372036854775807")) {
      TallyClient.Response response = tally.client().get(path);
      assertThat(response.status()).as(path).isEqualTo(400);
      assertThat(response.body().get("error").textValue()).as(path).isNotBlank();
    }
  }

  @Test
  void rateCountsEveryEventOfTheLastMinute() {
    // With an eventId, HTTP ingest sends each event as it is (no coalescing): 3,000 records.
    String counter = "article:rate";
    StringBuilder batch = new StringBuilder();
    for (int i = 0; i < 3_000; i++) {
      batch.append(String.format("{\"counter\":\"%s\",\"eventId\":\"e%d\"}%n", counter, i));
    }
    assertThat(tally.client().post("/v1/events", batch.toString()).status()).isEqualTo(202);
    assertThat(tally.client().post("/v1/counters/" + counter + "/increments", "{\"eventId\":\"last\"}").status())
        .isEqualTo(202);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode rate = tally.client().get("/v1/counters/" + counter + "/rate").body();
      assertThat(rate.get("events").longValue()).as(rate.toString()).isEqualTo(3_001);
      assertThat(rate.get("perSecond").doubleValue()).isEqualTo(3_001 / 60.0);
    });
  }

  private static long bruteForce(Instant from, Instant to) {
    return counted.stream()
        .filter(e -> e[0] >= from.toEpochMilli() && e[0] < to.toEpochMilli())
        .mapToLong(e -> e[1]).sum();
  }

  private static String line(long eventTime, long delta) {
    return String.format("{\"counter\":\"%s\",\"delta\":%d,\"eventTime\":%d}", COUNTER, delta, eventTime);
  }
}
