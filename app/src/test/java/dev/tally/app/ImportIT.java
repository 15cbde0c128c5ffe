package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tally.topology.TallyConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 15, item 1: {@code tally import} against a real broker and a running tally.node(). */
class ImportIT {

  private static final int COUNTERS = 1_000;
  private static final int EVENTS = 1_000_000;
  private static final int EVERY_BAD = 100_003;

  @TempDir
  static Path dir;

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("import-it", 6, 2);

  @Test
  void aMillionEventsFromAGzippedFileAreCountedAndBadLinesRejected() throws Exception {
    Path file = dir.resolve("history.ndjson.gz");
    long[] expected = new long[COUNTERS];
    Random random = new Random(20261130L);
    Instant now = Instant.now();
    int bad = 0;
    try (Writer out = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file), 1 << 16),
        StandardCharsets.UTF_8)) {
      for (int line = 1; line <= EVENTS; line++) {
        if (line % EVERY_BAD == 0) {
          out.write(line % 2 == 0 ? "{\"counter\":\"imp:1\",\"delta\":\"lots\"}\n" : "{not json\n");
          bad++;
          continue;
        }
        int counter = random.nextInt(COUNTERS);
        int delta = random.nextInt(16) - 5;
        expected[counter] += delta;
        out.write("{\"counter\":\"imp:" + counter + "\",\"delta\":" + delta + ",\"eventTime\":"
            + now.minusMillis(random.nextInt(10_000)).toEpochMilli() + "}\n");
      }
    }

    Run run = importFile(file.toString());

    assertThat(run.exit()).as("rejected lines make the exit code non-zero").isEqualTo(1);
    assertThat(run.out()).contains(String.format("imported %,d events, rejected %,d lines", EVENTS - bad, bad));
    List<String> rejects = Files.readAllLines(Path.of(file + ".rejects"));
    assertThat(rejects).hasSize(bad);
    assertThat(rejects.get(0)).startsWith("line " + EVERY_BAD + ": ");
    assertThat(Files.readString(Path.of(file + ".progress")).strip()).isEqualTo(Integer.toString(EVENTS));
    Matcher position = Pattern.compile("position: (\\S+)").matcher(run.out());
    assertThat(position.find()).isTrue();

    // The token: a read that waits for it (503 while the stores are behind) answers with the whole import.
    TallyClient.Response[] after = new TallyClient.Response[1];
    await().atMost(Duration.ofMinutes(3)).until(() -> {
      after[0] = tally.client().get("/v1/counters/imp:7?after=" + position.group(1));
      return after[0].status() == 200;
    });
    assertThat(after[0].body().get("total").longValue()).isEqualTo(expected[7]);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (int counter = 0; counter < COUNTERS; counter++) {
        assertThat(tally.client().counter("imp:" + counter)[0]).as("imp:%d", counter).isEqualTo(expected[counter]);
      }
    });
  }

  @Test
  void resumeStartsAfterTheLastAcknowledgedLine() throws Exception {
    Path file = dir.resolve("part.csv");
    StringBuilder csv = new StringBuilder("counter,delta\n");
    for (int line = 2; line <= 1_001; line++) {
      csv.append("resumed,").append(line).append('\n');
    }
    Files.writeString(file, csv);
    // As a run that stopped there left it: lines up to 600 are in Kafka.
    Files.writeString(Path.of(file + ".progress"), "600\n");

    Run run = importFile(file.toString(), "--resume");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("imported 401 events, rejected 0 lines");
    long expected = 0;
    for (int line = 601; line <= 1_001; line++) {
      expected += line;
    }
    long total = expected;
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(tally.client().counter("resumed")[0]).isEqualTo(total));
    assertThat(Files.readString(Path.of(file + ".progress")).strip()).isEqualTo("1001");
  }

  /** Against a cluster Tally never ran on, the producer would wait for the topic at every send. */
  @Test
  void refusedWhereTallysTopicsDoNotExist() throws Exception {
    Path file = Files.writeString(dir.resolve("one.ndjson"), "{\"counter\":\"a\"}\n");
    try (EmbeddedBroker bare = EmbeddedBroker.start(dir.resolve("bare"), 0, 1)) {
      PrintStream original = System.err;
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      int exit;
      try {
        exit = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> new CommandLine(new TallyCommand())
            .execute("import", file.toString(), "--bootstrap-servers", bare.bootstrapServers()));
      } finally {
        System.setErr(original);
      }
      assertThat(exit).isEqualTo(2);
      assertThat(captured.toString(StandardCharsets.UTF_8))
          .contains("topic " + TallyConfig.INCREMENTS_TOPIC + " does not exist");
    }
  }

  /** Issue 15, item 2: a month of history, imported with --backfill, lands in its minutes and hours. */
  @Test
  void aMonthOfHistoryLandsInItsMinuteAndHourBuckets() throws Exception {
    long now = System.currentTimeMillis();
    long minute = Duration.ofMinutes(1).toMillis();
    long hour = Duration.ofHours(1).toMillis();
    TreeMap<Long, Long> perMinute = new TreeMap<>();
    Map<Long, Long> perHour = new TreeMap<>();
    long total = 0;
    Random random = new Random(20261130L);
    Path file = dir.resolve("month.csv.gz");
    try (Writer out = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
      out.write("counter,delta,eventTime\n");
      for (int i = 0; i < 100_000; i++) {
        // Whole minutes back from the last one, so that no event falls in the minute still running.
        long at = (now / minute - 1) * minute - (long) (random.nextDouble() * Duration.ofDays(30).toMillis());
        int delta = 1 + random.nextInt(3);
        out.write("hist," + delta + "," + at + "\n");
        total += delta;
        perMinute.merge(at / minute * minute, (long) delta, Long::sum);
        perHour.merge(at / hour * hour, (long) delta, Long::sum);
      }
    }

    Run run = importFile(file.toString(), "--backfill");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).containsPattern("[\\d,]+ events are older than counts-1m keeps");
    long sum = total;
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(tally.client().counter("hist")[0]).isEqualTo(sum));
    Map<Long, Long> hours = series("PT1H", now - Duration.ofDays(31).toMillis(), now);
    assertThat(hours).isEqualTo(perHour);
    // The minute tier keeps 7 days: compare the minutes from 6 days back (two reads of at most 10,000).
    long from = (now - Duration.ofDays(6).toMillis()) / minute * minute;
    Map<Long, Long> minutes = new TreeMap<>(series("PT1M", from, from + Duration.ofDays(3).toMillis()));
    minutes.putAll(series("PT1M", from + Duration.ofDays(3).toMillis(), now));
    assertThat(minutes).isEqualTo(new TreeMap<>(perMinute.tailMap(from)));
  }

  /** The non-empty buckets of {@code size} starting in [from, to), by start. */
  private static Map<Long, Long> series(String size, long from, long to) {
    TallyClient.Response response = tally.client().get("/v1/counters/hist/windows?size=" + size + "&from="
        + Instant.ofEpochMilli(from) + "&to=" + Instant.ofEpochMilli(to));
    assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
    Map<Long, Long> buckets = new TreeMap<>();
    response.body().get("windows").forEach(window -> {
      if (window.get("count").longValue() != 0) {
        buckets.put(Instant.parse(window.get("start").asText()).toEpochMilli(), window.get("count").longValue());
      }
    });
    return buckets;
  }

  private record Run(int exit, String out) {}

  private static Run importFile(String file, String... options) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(new Tee(captured, original), true, StandardCharsets.UTF_8));
    try {
      String[] args = new String[options.length + 4];
      args[0] = "import";
      args[1] = file;
      args[2] = "--bootstrap-servers";
      args[3] = tally.node().bootstrapServers();
      System.arraycopy(options, 0, args, 4, options.length);
      int exit = new CommandLine(new TallyCommand()).execute(args);
      return new Run(exit, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(original);
    }
  }

  /** Writes to both: the test reads what the command printed, and the log still shows it. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    Tee(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) throws IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      first.write(bytes, offset, length);
      second.write(bytes, offset, length);
    }
  }
}
