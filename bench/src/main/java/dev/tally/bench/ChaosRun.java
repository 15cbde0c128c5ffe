package dev.tally.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tally.app.Ports;
import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.IncrementEvent;
import dev.tally.topology.TallyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The chaos run of issue 14, item 8: a broker in its own process, {@code instances} {@code tally serve}
 * processes of one application id, and steady load through {@link TallyProducer} from this process,
 * each event +1 to one of {@code counters} counters with one of {@code itemsPerCounter} items. Meanwhile
 * instances are killed with SIGKILL at random moments (half restarted at once, half after the 10 s
 * session timeout, so that their partitions move to a standby), and the broker is stopped and started.
 *
 * <p>Readers ask random instances for random counters all along and sort every answer: exact (200,
 * from an active copy, at most what had been sent), from a standby (200 with {@code X-Tally-Served-By:
 * standby} and its lag), unavailable (503 with {@code Retry-After}), no answer (the instance is down),
 * or a violation (anything else, or a count above what had been sent). At the end every instance must
 * answer every counter's total, trailing hour and unique count equal to what Kafka acknowledged
 * (exactly-once), or at least that much (at-least-once: the excess is reported as over-counted).
 */
public final class ChaosRun {

  /**
   * What to run.
   *
   * @param guarantee {@code exactly_once_v2} or {@code at_least_once}
   */
  public record Plan(int instances, int kills, int brokerBounces, int eventsPerSecond, int counters,
      int itemsPerCounter, String guarantee, long seed) {}

  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(3);
  private static final int PARTITIONS = 6;
  private static final int READERS = 2;
  private static final int LISTED_VIOLATIONS = 20;

  private final Plan plan;
  private final Path work;
  private final Random random;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final AtomicLongArray sent;
  private final AtomicLongArray acknowledged;
  private final AtomicLongArray failed;
  /** Per counter, a bit per item some acknowledged event carried. */
  private final AtomicIntegerArray items;
  private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  /** Per counter, the largest exact count read so far and when (nanoTime) its answer came. */
  private final long[] largestRead;
  private final long[] largestReadAt;
  private final LongAdder wentBackwards = new LongAdder();
  /** Instances the settle phase found dead or with Streams in ERROR, and restarted. */
  private final List<String> livenessRestarts = new ArrayList<>();
  /** Instances not ready in time after a start, and started again (see {@link #awaitReady}). */
  private final List<String> readinessRestarts = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);

  private JavaProcess broker;
  private final List<JavaProcess> nodes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  private ChaosRun(Plan plan, Path work) {
    if (plan.itemsPerCounter() > 31) {
      throw new IllegalArgumentException("at most 31 items per counter");
    }
    this.plan = plan;
    this.work = work;
    this.random = new Random(plan.seed());
    this.sent = new AtomicLongArray(plan.counters());
    this.acknowledged = new AtomicLongArray(plan.counters());
    this.failed = new AtomicLongArray(plan.counters());
    this.items = new AtomicIntegerArray(plan.counters());
    this.largestRead = new long[plan.counters()];
    this.largestReadAt = new long[plan.counters()];
  }

  /**
   * {@code [--kills N] [--bounces N] [--rate N] [--counters N] [--guarantee G] [--seed N] [--out FILE]}:
   * runs once and writes the report to FILE (default bench/results/chaos-latest.json); exits 1 if
   * anything was lost, doubled or answered outside the three allowed ways.
   */
  public static void main(String[] args) throws Exception {
    List<String> options = List.of(args);
    Plan plan = new Plan(3, intOption(options, "--kills", 20), intOption(options, "--bounces", 3),
        intOption(options, "--rate", 1_000), intOption(options, "--counters", 200), 7,
        option(options, "--guarantee", "exactly_once_v2"), intOption(options, "--seed", 20261130));
    Path out = Path.of(option(options, "--out", "bench/results/chaos-latest.json"));
    Path work = Files.createTempDirectory("tally-chaos");
    Map<String, Object> report = run(plan, work);
    Files.createDirectories(out.toAbsolutePath().getParent());
    String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    Files.writeString(out, text);
    System.out.println(text);
    System.out.println("written: " + out + " (logs in " + work + ")");
    System.exit(Boolean.TRUE.equals(report.get("passed")) ? 0 : 1);
  }

  /** Runs {@code plan} with its processes' data and logs under {@code work}; the report as a JSON-ready map. */
  public static Map<String, Object> run(Plan plan, Path work) throws Exception {
    return new ChaosRun(plan, work).run();
  }

  private Map<String, Object> run() throws Exception {
    long start = System.nanoTime();
    int kafkaPort = Ports.free();
    String bootstrap = "127.0.0.1:" + kafkaPort;
    broker = JavaProcess.start(work.resolve("broker.log"), "1g", "broker", "--port", Integer.toString(kafkaPort),
        "--data-dir", work.resolve("broker").toString(), "--partitions", Integer.toString(PARTITIONS));
    List<Thread> threads = new ArrayList<>();
    List<String> events = new ArrayList<>();
    Map<String, Object> report = new LinkedHashMap<>();
    try {
      BrokerProcess.awaitAnswer(bootstrap, READY_TIMEOUT, broker::alive);
      String applicationId = "chaos-" + UUID.randomUUID();
      for (int i = 0; i < plan.instances(); i++) {
        int port = Ports.free();
        ports.add(port);
        nodes.add(JavaProcess.start(work.resolve("serve-" + i + ".log"), "512m", "serve",
            "--replication-factor", "1", "--bootstrap-servers", bootstrap, "--port", Integer.toString(port),
            "--internal-port", Integer.toString(Ports.free()), "--data-dir", work.resolve("node-" + i).toString(),
            "--application-id", applicationId, "--processing-guarantee", plan.guarantee(), "--threads", "1",
            "--partitions", Integer.toString(PARTITIONS)));
      }
      for (int i = 0; i < plan.instances(); i++) {
        awaitReady(i);
      }
      threads.add(thread("chaos-load", () -> load(bootstrap)));
      for (int r = 0; r < READERS; r++) {
        long seed = plan.seed() + r;
        threads.add(thread("chaos-reader-" + r, () -> read(new Random(seed))));
      }

      List<String> schedule = new ArrayList<>();
      schedule.addAll(Collections.nCopies(plan.kills(), "kill"));
      schedule.addAll(Collections.nCopies(plan.brokerBounces(), "bounce"));
      Collections.shuffle(schedule, random);
      for (String step : schedule) {
        Thread.sleep(2_000 + random.nextInt(4_000));
        if (step.equals("kill")) {
          int victim = random.nextInt(plan.instances());
          boolean late = random.nextBoolean();
          events.add("kill -9 instance " + victim + (late ? ", restarted after the session timeout" : ", restarted at once"));
          nodes.get(victim).kill();
          if (late) {
            Thread.sleep(SESSION_TIMEOUT.toMillis() + 2_000);
          }
          nodes.get(victim).start();
          awaitReady(victim);
        } else {
          events.add("broker stopped and started");
          broker.stop();
          broker.start();
          BrokerProcess.awaitAnswer(bootstrap, READY_TIMEOUT, broker::alive);
        }
      }
      Thread.sleep(3_000);
    } finally {
      running.set(false);
      for (Thread thread : threads) {
        thread.join(TimeUnit.MINUTES.toMillis(3));
      }
    }
    try {
      Map<String, Object> settled = settle();
      report.put("plan", plan);
      report.put("steps", events);
      report.put("events", Map.of("sent", sum(sent), "acknowledged", sum(acknowledged), "failed", sum(failed)));
      Map<String, Long> kinds = new LinkedHashMap<>();
      answers.forEach((kind, count) -> kinds.put(kind, count.sum()));
      report.put("readsDuringTheRun", kinds);
      report.put("exactReadsLowerThanAnEarlierOne", wentBackwards.sum());
      report.put("violations", violations.size());
      report.put("firstViolations", violations.subList(0, Math.min(LISTED_VIOLATIONS, violations.size())));
      report.put("final", settled);
      report.put("restartsByLivenessCheck", livenessRestarts);
      report.put("restartsWhenNotReady", readinessRestarts);
      report.put("seconds", (System.nanoTime() - start) / 1_000_000_000L);
      boolean exactlyOnce = plan.guarantee().equals("exactly_once_v2");
      long lost = (Long) settled.get("lost");
      long excess = (Long) settled.get("overCounted");
      report.put("passed", violations.isEmpty() && lost == 0 && (Boolean) settled.get("windowsAndUniquesMatch")
          && (!exactlyOnce || excess == 0));
      return report;
    } finally {
      for (JavaProcess node : nodes) {
        node.close();
      }
      broker.close();
    }
  }

  /** Steady +1 increments, each with an item, until the run ends; what Kafka acknowledged is counted. */
  private void load(String bootstrap) {
    long periodNanos = 1_000_000_000L / plan.eventsPerSecond();
    long next = System.nanoTime();
    try (TallyProducer producer = new TallyProducer(bootstrap, TallyConfig.INCREMENTS_TOPIC)) {
      for (long n = 0; running.get(); n++) {
        int counter = (int) (n % plan.counters());
        int item = (int) ((n / plan.counters()) % plan.itemsPerCounter());
        IncrementEvent event = IncrementEvent.newBuilder().setCounter(counterName(counter)).setDelta(1)
            .setItem("u" + item).setEventTime(Instant.now()).build();
        sent.incrementAndGet(counter);
        try {
          producer.send(event).whenComplete((metadata, error) -> {
            if (error == null) {
              acknowledged.incrementAndGet(counter);
              items.accumulateAndGet(counter, 1 << item, (a, b) -> a | b);
            } else {
              failed.incrementAndGet(counter);
            }
          });
        } catch (RuntimeException e) {
          failed.incrementAndGet(counter); // not written: the producer refused it before sending
        }
        next += periodNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads random counters on random instances until the run ends, sorting every answer. */
  private void read(Random dice) {
    while (running.get()) {
      int instance = dice.nextInt(plan.instances());
      int counter = dice.nextInt(plan.counters());
      long asked = System.nanoTime();
      HttpResponse<String> response;
      try {
        response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(instance)
            + "/v1/counters/" + counterName(counter))).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (Exception e) {
        answers.computeIfAbsent("noAnswerInstanceDown", k -> new LongAdder()).increment();
        pause(20);
        continue;
      }
      long upperBound = sent.get(counter);
      sort(response, counter, upperBound, asked);
      pause(20);
    }
  }

  private void sort(HttpResponse<String> response, int counter, long upperBound, long asked) {
    String what = "instance answer " + response.statusCode() + " for " + counterName(counter);
    if (response.statusCode() == 503) {
      count(response.headers().firstValue("Retry-After").isPresent() ? "unavailable503WithRetryAfter" : null, what);
      return;
    }
    if (response.statusCode() != 200) {
      count(null, what + ": " + response.body());
      return;
    }
    long total;
    try {
      total = json.readTree(response.body()).get("total").longValue();
    } catch (Exception e) {
      count(null, what + ": unreadable body " + response.body());
      return;
    }
    if (total > upperBound || total < 0) {
      count(null, what + ": total " + total + " but only " + upperBound + " had been sent");
      return;
    }
    if (response.headers().firstValue("X-Tally-Served-By").filter("standby"::equals).isPresent()) {
      count(response.headers().firstValue("X-Tally-Max-Lag").isPresent() ? "standbyWithItsLag" : null,
          what + ": a standby's answer without its lag");
      return;
    }
    count("exact", what);
    // Reported, not a violation: a copy may show counts that a crash then lost before their commit, and
    // the new active counts those events again a moment later; each answer is still a prefix of the log.
    synchronized (largestRead) {
      if (total < largestRead[counter] && asked > largestReadAt[counter]) {
        wentBackwards.increment();
      }
      if (total > largestRead[counter]) {
        largestRead[counter] = total;
        largestReadAt[counter] = System.nanoTime();
      }
    }
  }

  private void count(String kind, String violation) {
    if (kind == null) {
      violations.add(violation);
      answers.computeIfAbsent("violation", k -> new LongAdder()).increment();
    } else {
      answers.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }
  }

  /**
   * Waits until every instance answers every counter as acknowledged, or {@link #SETTLE_TIMEOUT}; then
   * how far off the last sweep was.
   */
  private Map<String, Object> settle() throws Exception {
    long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    while (true) {
      supervise();
      Map<String, Object> sweep = sweep();
      boolean exact = (Long) sweep.get("lost") == 0 && (Long) sweep.get("overCounted") == 0
          && (Boolean) sweep.get("windowsAndUniquesMatch");
      boolean stable = !plan.guarantee().equals("exactly_once_v2") && (Long) sweep.get("lost") == 0;
      if (exact || stable || System.nanoTime() > deadline) {
        return sweep;
      }
      Thread.sleep(2_000);
    }
  }

  /**
   * What a supervisor does with a liveness probe (the README's {@code /health/live}, a Kubernetes
   * livenessProbe): an instance whose process died, or whose Kafka Streams client is in ERROR, is
   * started again. Each restart is reported, with why: none is expected.
   */
  private void supervise() throws InterruptedException {
    for (int i = 0; i < nodes.size(); i++) {
      String why = null;
      if (!nodes.get(i).alive()) {
        why = "its process had exited";
      } else {
        try {
          HttpResponse<String> live = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + ports.get(i) + "/health/live")).timeout(Duration.ofSeconds(5)).GET()
              .build(), HttpResponse.BodyHandlers.ofString());
          if (live.statusCode() != 200) {
            why = "/health/live answered " + live.statusCode() + " " + live.body();
          }
        } catch (Exception e) {
          why = "/health/live did not answer: " + e;
        }
      }
      if (why != null) {
        livenessRestarts.add("instance " + i + ": " + why);
        nodes.get(i).kill();
        nodes.get(i).start();
        awaitReady(i);
      }
    }
  }

  private Map<String, Object> sweep() throws Exception {
    long lost = 0;
    long overCounted = 0;
    long ofFailedSends = 0;
    long unanswered = 0;
    boolean windowsAndUniquesMatch = true;
    List<String> mismatches = new ArrayList<>();
    for (int instance = 0; instance < plan.instances(); instance++) {
      for (int counter = 0; counter < plan.counters(); counter++) {
        String name = counterName(counter);
        long expected = acknowledged.get(counter);
        JsonNode total = get(instance, "/v1/counters/" + name, mismatches);
        JsonNode hour = get(instance, "/v1/counters/" + name + "/last?window=PT1H", mismatches);
        JsonNode uniques = get(instance, "/v1/counters/" + name + "/uniques", mismatches);
        if (total == null || hour == null || uniques == null) {
          unanswered++;
          continue;
        }
        long counted = total.get("total").longValue();
        lost += Math.max(0, expected - counted);
        // A send that failed (the producer gave up, e.g. while the broker was down) may still have
        // been written: counting it is right, and not a double count. Beyond those, it is one.
        long extra = Math.max(0, counted - expected);
        ofFailedSends += Math.min(extra, failed.get(counter));
        overCounted += extra - Math.min(extra, failed.get(counter));
        long distinct = Integer.bitCount(items.get(counter));
        boolean match = hour.get("count").longValue() == counted
            && Math.round(uniques.get("estimate").doubleValue()) == distinct;
        if (!match || counted < expected || counted > expected + failed.get(counter)) {
          windowsAndUniquesMatch &= match;
          if (mismatches.size() < LISTED_VIOLATIONS) {
            mismatches.add("instance " + instance + " " + name + ": total " + counted + ", last hour "
                + hour.get("count") + ", uniques " + uniques.get("estimate") + "; acknowledged " + expected
                + " with " + distinct + " items, " + failed.get(counter) + " failed sends");
          }
        }
      }
    }
    Map<String, Object> sweep = new LinkedHashMap<>();
    sweep.put("countersOnEveryInstance", plan.counters());
    sweep.put("lost", lost);
    sweep.put("overCounted", overCounted);
    sweep.put("countedOfFailedSends", ofFailedSends);
    sweep.put("windowsAndUniquesMatch", windowsAndUniquesMatch && unanswered == 0);
    sweep.put("unanswered", unanswered);
    sweep.put("mismatches", mismatches);
    return sweep;
  }

  /** The answer to {@code path}, or null, with why in {@code problems} (the first few). */
  private JsonNode get(int instance, String path, List<String> problems) {
    String problem;
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + ports.get(instance) + path)).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        return json.readTree(response.body());
      }
      problem = response.statusCode() + " " + response.body();
    } catch (Exception e) {
      problem = e.toString();
    }
    if (problems.size() < LISTED_VIOLATIONS) {
      problems.add("instance " + instance + " " + path + ": " + problem);
    }
    return null;
  }

  /**
   * Waits until {@code instance} is ready. One that is not within {@link #READY_TIMEOUT} is killed and
   * started again once, as an operator would, and the report says so with what it answered and logged
   * ({@code restartsWhenNotReady}): the runs are about counts across kills, and an instance that once
   * stayed unready at a start threw a whole CI run away without a trace of why.
   */
  private void awaitReady(int instance) throws InterruptedException {
    String last = ready(instance);
    if (last == null) {
      return;
    }
    readinessRestarts.add("instance " + instance + " not ready within " + READY_TIMEOUT + " (" + last
        + "); its log ended: " + logTail(instance));
    nodes.get(instance).kill();
    nodes.get(instance).start();
    last = ready(instance);
    if (last != null) {
      throw new IllegalStateException("instance " + instance + " not ready within " + READY_TIMEOUT
          + ", twice (" + last + "); its log ended: " + logTail(instance));
    }
  }

  /** Null once {@code instance} answers /health/ready with 200, or its last answer at the timeout. */
  private String ready(int instance) throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ports.get(instance) + "/health/ready")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return null;
        }
        last = response.statusCode() + " " + response.body();
      } catch (Exception e) {
        last = "no answer: " + e;
      }
      Thread.sleep(250);
    }
    return last;
  }

  private String logTail(int instance) {
    try {
      List<String> lines = Files.readAllLines(work.resolve("serve-" + instance + ".log"));
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (Exception e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static Thread thread(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.start();
    return thread;
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long sum(AtomicLongArray values) {
    long sum = 0;
    for (int i = 0; i < values.length(); i++) {
      sum += values.get(i);
    }
    return sum;
  }

  private static String counterName(int counter) {
    return "chaos:" + counter;
  }

  private static int intOption(List<String> options, String name, int fallback) {
    return Integer.parseInt(option(options, name, Integer.toString(fallback)));
  }

  private static String option(List<String> options, String name, String fallback) {
    int at = options.indexOf(name);
    return at >= 0 && at + 1 < options.size() ? options.get(at + 1) : fallback;
  }
}
