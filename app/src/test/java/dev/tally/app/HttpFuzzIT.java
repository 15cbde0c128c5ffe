package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 12: a seeded loop of 10,000 requests over every route, with well-formed and malformed bodies,
 * parameters, ids, content types and sizes, against a running tally.node(). No answer is a 500 (or any 5xx),
 * none takes 5 s, the heap stays bounded, and afterwards each tracked counter holds exactly what its
 * well-formed events add up to. Malformed writes only ever name counters outside the tracked ones
 * ({@code fz:*}), so one the rules happen to accept cannot disturb the check.
 */
class HttpFuzzIT {

  private static final Logger log = LoggerFactory.getLogger(HttpFuzzIT.class);
  private static final int REQUESTS = 10_000;
  private static final int TRACKED = 20;
  private static final Duration SLOWEST = Duration.ofSeconds(5);
  private static final List<String> DURATIONS = List.of("PT1S", "PT1M", "PT15M", "PT1H", "P1D", "P7D", "P400D",
      "P401D", "PT0S", "-PT1M", "PT9223372036854775807S", "P36500D", "PT7M", "abc", "", "1h", "PT1.5S");
  private static final List<String> INSTANTS = List.of("2026-11-29T12:00:00Z", "0", "-1", "9223372036854775807",
      "-9223372036854775808", "+999999999-12-31T00:00:00Z", "yesterday", "", "1e3", "2026-13-45T99:00:00Z");
  private static final List<String> JUNK_BODIES = List.of("", "{", "}", "[]", "null", "42", "\"text\"",
      "{\"delta\":\"1\"}", "{\"delta\":1.5}", "{\"delta\":99999999999999999999}", "{\"bogus\":1}",
      "{\"delta\":1}{\"delta\":1}", "{\"item\":\"\"}", "{\"eventTime\":\"tomorrow\"}", "{\"eventTime\":-5}",
      "{\"eventTime\":\"+999999999-12-31T00:00:00Z\"}", "{\"delta\":[1]}", "{\"delta\":{}}", "\u0000\u0001",
      "{\"counter\":\"elsewhere\"}", "[".repeat(5_000), "{\"a\":".repeat(2_000));

  private final Random random = new Random(20261130);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final HttpClient hostileHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final long[] expected = new long[TRACKED];
  private final List<String> tokens = new ArrayList<>();
  private final Map<String, Integer> byRoute = new HashMap<>();

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("fuzz-it", 6, 2);

  @Test
  void tenThousandRequestsNeverAnswer500NorHangAndCountOnlyWellFormedEvents() throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    memory.gc();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    List<Supplier<Call>> routes = List.of(this::increment, this::junkIncrement, this::batch, this::read,
        this::windows, this::uniques, this::union, this::top, this::pin, this::internal, this::elsewhere);
    String previous = "none";
    for (int i = 0; i < REQUESTS; i++) {
      Call call = routes.get(random.nextInt(routes.size())).get();
      long started = System.nanoTime();
      HttpResponse<String> response;
      try {
        response = send(call.request());
      } catch (IOException e) {
        throw new AssertionError("request " + i + ": " + call.request().method() + " " + call.request().uri()
            + " got no answer; the request before: " + previous, e);
      }
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      String what = "request " + i + ": " + call.request().method() + " " + call.request().uri() + " -> "
          + response.statusCode() + " " + abbreviate(response.body());
      assertThat(response.statusCode()).as(what).isLessThan(500);
      assertThat(took).as(what).isLessThan(SLOWEST);
      call.check().accept(response);
      byRoute.merge(call.route(), 1, Integer::sum);
      previous = what;
    }
    log.info("requests by route: {}", byRoute);

    memory.gc();
    long heapAfter = memory.getHeapMemoryUsage().getUsed();
    log.info("heap used after a full GC: {} MB before, {} MB after", heapBefore >> 20, heapAfter >> 20);
    assertThat(heapAfter - heapBefore).as("heap growth over the run").isLessThan(256L << 20);

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (int c = 0; c < TRACKED; c++) {
        assertThat(tally.client().counter("fz:" + c)[0]).as("fz:" + c).isEqualTo(expected[c]);
      }
    });
  }

  /**
   * Sends a request whose path is plain through {@link #http}, and one whose path is hostile (encoded
   * control characters, slashes, dot segments) through {@link #hostileHttp}. Jetty rejects some hostile
   * paths before Tally sees them, with an HTML 400, and then closes the connection without saying so;
   * the next request on it finds it closed. Kept apart, that never costs a well-formed request its
   * connection, and a hostile request that finds its connection closed is sent once more on a new one.
   */
  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    if (request.uri().getRawPath().matches("[A-Za-z0-9:/_-]*")) {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
    try {
      return hostileHttp.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException closedByJetty) {
      return hostileHttp.send(request, HttpResponse.BodyHandlers.ofString());
    }
  }

  /** A request, the route it exercises, and what its answer must satisfy beyond "no 5xx, in time". */
  private record Call(String route, HttpRequest request, java.util.function.Consumer<HttpResponse<String>> check) {}

  private Call increment() {
    int counter = random.nextInt(TRACKED);
    long delta = random.nextInt(21) - 10;
    String body = switch (random.nextInt(5)) {
      case 0 -> "";
      case 1 -> "{}";
      case 2 -> "{\"delta\":" + delta + "}";
      case 3 -> "{\"delta\":" + delta + ",\"item\":\"u" + random.nextInt(100) + "\",\"eventId\":\"e" + random.nextInt()
          + "\"}";
      default -> "{\"delta\":" + delta + ",\"eventTime\":\"" + Instant.now().minusSeconds(random.nextInt(600)) + "\"}";
    };
    expected[counter] += body.contains("delta") ? delta : 1;
    return new Call("increment", post("/v1/counters/fz:" + counter + "/increments", body, "application/json"),
        response -> {
          assertThat(response.statusCode()).as(body + " -> " + response.body()).isEqualTo(202);
          tokens.add(position(response.body()));
        });
  }

  private Call junkIncrement() {
    String id = random.nextBoolean() ? "junk:" + random.nextInt(50) : junkId();
    String body = random.nextInt(20) == 0 ? "{\"delta\":1,\"item\":\"" + "x".repeat(random.nextInt(3_000)) + "\"}"
        : JUNK_BODIES.get(random.nextInt(JUNK_BODIES.size()));
    return new Call("junk increment", post("/v1/counters/" + id + "/increments", body, contentType()), response -> { });
  }

  private Call batch() {
    StringBuilder body = new StringBuilder();
    boolean array = random.nextInt(4) == 0;
    int lines = random.nextInt(random.nextInt(50) == 0 ? 12_000 : 200) + 1;
    int valid = 0;
    long[] added = new long[TRACKED];
    body.append(array ? "[" : "");
    for (int i = 0; i < lines; i++) {
      String line;
      if (random.nextInt(3) > 0) {
        int counter = random.nextInt(TRACKED);
        long delta = random.nextInt(7) - 3;
        added[counter] += delta;
        valid++;
        line = "{\"counter\":\"fz:" + counter + "\",\"delta\":" + delta + "}";
      } else {
        line = switch (random.nextInt(6)) {
          case 0 -> "{\"counter\":\"fz:1\",\"delta\":\"x\"}";
          case 1 -> "{\"counter\":\"fz:1\",\"bogus\":true}";
          case 2 -> "{\"delta\":1}";
          case 3 -> "{\"counter\":\"" + junkId() + "\",\"delta\":1}";
          case 4 -> array ? "{\"counter\":\"fz:2\",\"delta\":1.25}" : "not json at all";
          default -> array ? "{\"counter\":\"fz:3\",\"eventTime\":\"never\"}"
              : "{\"counter\":\"fz:3\",\"delta\":1} {\"counter\":\"fz:3\",\"delta\":1}";
        };
      }
      body.append(line).append(array ? (i + 1 < lines ? "," : "") : "\n");
    }
    body.append(array ? "]" : "");
    boolean tooMany = lines > 10_000;
    int accepted = valid;
    return new Call("batch", post("/v1/events", body.toString(), array ? "application/json" : "application/x-ndjson"),
        response -> {
          if (tooMany) {
            assertThat(response.statusCode()).isEqualTo(413);
            return;
          }
          assertThat(response.statusCode()).as(response.body()).isEqualTo(accepted == 0 ? 400 : 202);
          assertThat(response.body()).contains("\"accepted\":" + accepted + ",");
          for (int c = 0; c < TRACKED; c++) {
            expected[c] += added[c];
          }
          if (accepted > 0) {
            tokens.add(position(response.body()));
          }
        });
  }

  private Call read() {
    String id = counterForRead();
    String path = switch (random.nextInt(4)) {
      case 0 -> "/v1/counters/" + id;
      case 1 -> "/v1/counters/" + id + "/last?window=" + pick(DURATIONS);
      case 2 -> "/v1/counters/" + id + "/rate";
      default -> "/v1/counters/" + id + "?fresh=" + random.nextBoolean();
    };
    return new Call("read", get(path + readOptions(path)), response -> { });
  }

  private Call windows() {
    StringBuilder path = new StringBuilder("/v1/counters/" + counterForRead() + "/windows?size=" + pick(DURATIONS));
    if (random.nextBoolean()) {
      path.append("&advance=").append(pick(DURATIONS));
    }
    if (random.nextBoolean()) {
      path.append("&from=").append(encode(pick(INSTANTS)));
    }
    if (random.nextBoolean()) {
      path.append("&to=").append(encode(pick(INSTANTS)));
    }
    return new Call("windows", get(path + readOptions(path.toString())), response -> { });
  }

  private Call uniques() {
    String path = "/v1/counters/" + counterForRead() + "/uniques?" + switch (random.nextInt(3)) {
      case 0 -> "window=" + pick(DURATIONS);
      case 1 -> "from=" + encode(pick(INSTANTS)) + "&to=" + encode(pick(INSTANTS));
      default -> "confidence=" + pick(List.of("1", "2", "3", "0", "4", "x"));
    };
    return new Call("uniques", get(path + readOptions(path)), response -> { });
  }

  private Call union() {
    StringBuilder counters = new StringBuilder();
    int n = random.nextInt(random.nextInt(20) == 0 ? 1_500 : 10);
    for (int i = 0; i < n; i++) {
      counters.append(i > 0 ? "," : "").append(random.nextInt(10) == 0 ? "7" : "\"" + counterForRead() + "\"");
    }
    String body = switch (random.nextInt(4)) {
      case 0 -> "{\"counters\":[" + counters + "]}";
      case 1 -> "{\"counters\":[" + counters + "],\"from\":\"" + pick(INSTANTS) + "\",\"to\":\"" + pick(INSTANTS) + "\"}";
      case 2 -> "{\"counters\":[" + counters + "],\"from\":{}}";
      default -> pick(JUNK_BODIES);
    };
    return new Call("union", post("/v1/uniques/union", body, contentType()), response -> { });
  }

  private Call top() {
    return new Call("top", get("/v1/top?limit=" + pick(List.of("1", "10", "0", "-1", "100000", "x"))
        + (random.nextBoolean() ? "&window=" + pick(DURATIONS) : "")), response -> { });
  }

  private Call pin() {
    String body = pick(List.of("{\"shards\":4}", "{\"shards\":16}", "{\"shards\":1}", "{\"shards\":3}",
        "{\"shards\":4.9}", "{\"shards\":\"4\"}", "{\"shards\":128}", "{}", "x"));
    return new Call("pin", post("/v1/counters/" + (random.nextBoolean() ? "junk:" + random.nextInt(50) : junkId())
        + "/shards", body, contentType()), response -> { });
  }

  private Call internal() {
    if (random.nextBoolean()) {
      return new Call("internal", internal(get("/internal/v1/top?limit=" + random.nextInt(200))), response -> { });
    }
    String body = pick(List.of("{}", "{\"reads\":[]}", "{\"reads\":[{\"store\":\"counter-totals\",\"key\":\"fz:1\"}]}",
        "{\"reads\":[{\"store\":\"nope\",\"key\":\"x\"}]}", "{\"reads\":[{\"store\":\"counts-1s\",\"key\":\"fz:1\","
            + "\"from\":0,\"to\":9223372036854775807}]}", "{\"reads\":7,\"after\":\"garbage\"}", pick(JUNK_BODIES)));
    return new Call("internal", internal(post("/internal/v1/fetch", body, contentType())), response -> { });
  }

  private Call elsewhere() {
    String path = pick(List.of("/", "/v1", "/v1/counters", "/v1/counters/", "/v1/counters/fz:1/nothing",
        "/health/live", "/health/ready", "/metrics", "/v1/instances", "/../etc/passwd", "/v1/counters/%00",
        "/v1/counters/" + "a".repeat(5_000)));
    String method = pick(List.of("GET", "DELETE", "PUT", "PATCH", "OPTIONS"));
    HttpRequest request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(SLOWEST)
        .method(method, HttpRequest.BodyPublishers.ofString(random.nextBoolean() ? "" : pick(JUNK_BODIES))).build();
    return new Call("other", request, response -> { });
  }

  private String readOptions(String path) {
    String separator = path.contains("?") ? "&" : "?";
    return switch (random.nextInt(5)) {
      case 0 -> separator + "consistency=" + pick(List.of("strong", "eventual", "weird"));
      case 1 -> separator + "after=" + (tokens.isEmpty() || random.nextBoolean() ? pick(List.of("garbage", "", "AAAA"))
          : encode(tokens.get(random.nextInt(tokens.size()))));
      default -> "";
    };
  }

  /** A tracked counter, a junk one, or an id the rules may refuse. */
  private String counterForRead() {
    return switch (random.nextInt(3)) {
      case 0 -> "fz:" + random.nextInt(TRACKED);
      case 1 -> "junk:" + random.nextInt(50);
      default -> junkId();
    };
  }

  /** Ids the rules refuse: too long (over 200), encoded oddly, or not ASCII; never a tracked counter's. */
  private String junkId() {
    return switch (random.nextInt(7)) {
      case 0 -> "x".repeat(random.nextInt(600) + 201);
      case 1 -> encode("junk with spaces");
      case 2 -> encode("junk/" + random.nextInt(9));
      case 3 -> encode("jünk-ñ-" + random.nextInt(9));
      case 4 -> "%2e%2e";
      case 5 -> encode("junk#" + random.nextInt(70));
      default -> encode("junk\t\u0001");
    };
  }

  private String contentType() {
    return pick(List.of("application/json", "text/plain", "application/x-ndjson", "application/octet-stream",
        "application/json; charset=latin1"));
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create(base() + path)).timeout(SLOWEST).GET().build();
  }

  private HttpRequest post(String path, String body, String contentType) {
    return HttpRequest.newBuilder(URI.create(base() + path)).timeout(SLOWEST).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  /** The same request to the internal port, where the other instances call. */
  private static HttpRequest internal(HttpRequest request) {
    return HttpRequest.newBuilder(request, (name, value) -> true)
        .uri(URI.create(request.uri().toString().replace(":" + tally.node().httpPort() + "/", ":" + tally.node().internalPort() + "/")))
        .build();
  }

  private static String base() {
    return "http://localhost:" + tally.node().httpPort();
  }

  private <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  private static String position(String body) {
    int at = body.indexOf("\"position\":\"");
    assertThat(at).as(body).isNotNegative();
    return body.substring(at + 12, body.indexOf('"', at + 12));
  }

  private static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "...";
  }
}
