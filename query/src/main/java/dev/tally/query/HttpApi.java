package dev.tally.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tally.ingest.IngestService;
import dev.tally.ingest.IngestUnavailableException;
import dev.tally.ingest.InvalidEventException;
import dev.tally.ingest.ShardPins;
import dev.tally.schemas.ShardConfig;
import dev.tally.topology.CounterTopology;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.CounterIds;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.query.Position;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of DESIGN.md. Handlers parse, call one service method and render; errors become JSON
 * {@code {"error": "..."}}: 400 for bad input, 404 for an unknown route, 503 with {@code Retry-After}
 * while Kafka or the state is unavailable, and 500 only for a bug.
 */
public final class HttpApi implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  private static final long MAX_REQUEST_BYTES = 16L * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Set on eventual reads a standby answered, with the standby's offset lag behind the active. */
  public static final String SERVED_BY_HEADER = "X-Tally-Served-By";
  public static final String MAX_LAG_HEADER = "X-Tally-Max-Lag";

  private final Javalin app;

  /**
   * @param metrics served at {@code /metrics} in the Prometheus text format
   */
  public HttpApi(IngestService ingest, ShardPins pins, CounterQueries queries, Router router,
      TallyConfig tallyConfig, PrometheusMeterRegistry metrics, Supplier<Readiness> readiness) {
    FetchCodec codec = new FetchCodec(new StoreSerdes(tallyConfig));
    this.app = Javalin.create(config -> {
      config.jsonMapper(new JavalinJackson(new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS), false));
      config.http.maxRequestSize = MAX_REQUEST_BYTES;
      config.startup.showJavalinBanner = false;

      config.routes.post("/v1/counters/{id}/increments",
          ctx -> ctx.status(HttpStatus.ACCEPTED).json(ingest.increment(ctx.pathParam("id"), ctx.body())));
      config.routes.post("/v1/events", ctx -> {
        IngestService.Result result = ingest.batch(ctx.body());
        ctx.status(result.accepted() == 0 ? HttpStatus.BAD_REQUEST : HttpStatus.ACCEPTED).json(result);
      });
      config.routes.get("/v1/counters/{id}", ctx -> {
        ReadContext read = readContext(ctx);
        reply(ctx, read, queries.total(counterId(ctx), "true".equals(ctx.queryParam("fresh")), read));
      });
      config.routes.get("/v1/counters/{id}/last", ctx -> {
        ReadContext read = readContext(ctx);
        reply(ctx, read, queries.last(counterId(ctx), duration(ctx, "window", true), read));
      });
      config.routes.get("/v1/counters/{id}/uniques", ctx -> {
        String counter = counterId(ctx);
        String window = ctx.queryParamAsClass("window", String.class).getOrDefault("all");
        Instant from = instant(ctx, "from");
        Instant to = instant(ctx, "to");
        int confidence = confidence(ctx.queryParam("confidence"));
        ReadContext read = readContext(ctx);
        if (from != null || to != null || window.equals("all")) {
          reply(ctx, read, queries.uniques(List.of(counter), from, to, confidence, read));
        } else {
          reply(ctx, read, queries.uniques(counter, duration(ctx, "window", true), confidence, read));
        }
      });
      config.routes.post("/v1/uniques/union", ctx -> {
        JsonNode body = json(ctx.body());
        List<String> counters = new ArrayList<>();
        if (body.get("counters") == null || !body.get("counters").isArray()) {
          throw new BadRequestException("body must hold \"counters\": an array of counter ids");
        }
        for (JsonNode counter : body.get("counters")) {
          String id = counter.isTextual() ? counter.textValue() : null;
          CounterIds.problem(id).ifPresent(problem -> {
            throw new BadRequestException(problem);
          });
          counters.add(id);
        }
        ReadContext read = readContext(ctx);
        reply(ctx, read, queries.uniques(counters, instant(body, "from"), instant(body, "to"),
            confidence(body.has("confidence") ? body.get("confidence").asText() : null), read));
      });
      config.routes.post("/v1/counters/{id}/shards", ctx -> {
        JsonNode body = json(ctx.body());
        if (body.get("shards") == null || !body.get("shards").canConvertToInt()) {
          throw new BadRequestException("body must be {\"shards\": 1, 4, 16 or 64}");
        }
        ShardConfig pinned = pins.pin(counterId(ctx), body.get("shards").intValue());
        ctx.status(HttpStatus.ACCEPTED).json(Map.of("counter", pinned.getCounter(), "shards", pinned.getShards()));
      });
      config.routes.get("/v1/counters/{id}/rate", ctx -> {
        ReadContext read = readContext(ctx);
        reply(ctx, read, queries.rate(counterId(ctx), read));
      });
      config.routes.get("/v1/counters/{id}/windows", ctx -> {
        ReadContext read = readContext(ctx);
        reply(ctx, read, queries.windows(counterId(ctx), duration(ctx, "size", true),
            duration(ctx, "advance", false), instant(ctx, "from"), instant(ctx, "to"), read));
      });
      config.routes.get("/v1/top", ctx -> {
        Duration window = duration(ctx, "window", false);
        if (window != null && !window.equals(CounterTopology.RATE_WINDOW)) {
          throw new BadRequestException("the top counters are ranked by their events in the last "
              + CounterTopology.RATE_WINDOW + "; window must be " + CounterTopology.RATE_WINDOW);
        }
        ctx.json(Map.of("window", CounterTopology.RATE_WINDOW, "counters", router.top(limit(ctx))));
      });
      config.routes.get("/v1/instances", ctx -> ctx.json(router.instances()));

      // Between instances only: answered from this instance's own copies, never forwarded again.
      config.routes.post("/internal/v1/fetch", ctx -> {
        JsonNode body = json(ctx.body());
        List<StoreRead> reads = codec.reads(body);
        boolean allowStandby = body.path("allowStandby").asBoolean(false);
        Position after = FetchCodec.position(body.path("after").isTextual() ? body.get("after").asText() : null);
        List<Fetched> results = new ArrayList<>();
        for (StoreRead read : reads) {
          results.add(router.local().fetch(read, allowStandby, after));
        }
        ctx.contentType("application/json").result(codec.results(reads, results));
      });
      config.routes.get("/internal/v1/top", ctx -> ctx.json(router.local().top(limit(ctx))));
      config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
          .result(metrics.scrape()));
      config.routes.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")));
      config.routes.get("/health/ready", ctx -> {
        Readiness now = readiness.get();
        ctx.status(now.ready() ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
            .json(Map.of("status", now.state().toString(), "stalled", now.stalled()));
      });

      config.routes.exception(InvalidEventException.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e));
      config.routes.exception(BadRequestException.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e));
      config.routes.exception(IngestUnavailableException.class, (e, ctx) -> unavailable(ctx, e));
      config.routes.exception(StateUnavailableException.class, (e, ctx) -> unavailable(ctx, e));
      config.routes.exception(Exception.class, (e, ctx) -> {
        log.error("unexpected error serving {} {}", ctx.method(), ctx.path(), e);
        ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error", "internal error; see the server log"));
      });
      config.routes.error(HttpStatus.NOT_FOUND.getCode(), "*",
          ctx -> ctx.json(Map.of("error", "no route " + ctx.method() + " " + ctx.path())));
    });
  }

  /** Starts listening on {@code host:port}; port 0 picks a free one. */
  public HttpApi start(String host, int port) {
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }

  /** How this read may be answered: {@code consistency=eventual|strong}, {@code after=TOKEN}. */
  private static ReadContext readContext(Context ctx) {
    String consistency = ctx.queryParam("consistency");
    if (consistency != null && !consistency.equals("eventual") && !consistency.equals("strong")) {
      throw new BadRequestException("consistency must be eventual or strong, got '" + consistency + "'");
    }
    return new ReadContext("strong".equals(consistency), FetchCodec.position(ctx.queryParam("after")));
  }

  /** The answer, and whether a standby copy gave (part of) it and how far behind it may be. */
  private static void reply(Context ctx, ReadContext read, Object body) {
    if (read.servedByStandby()) {
      ctx.header(SERVED_BY_HEADER, "standby");
      ctx.header(MAX_LAG_HEADER, Long.toString(read.maxLag()));
    }
    ctx.json(body);
  }

  private static int limit(Context ctx) {
    String value = ctx.queryParam("limit");
    if (value == null || value.isBlank()) {
      return 10;
    }
    if (!value.matches("\\d{1,4}") || Integer.parseInt(value) < 1 || Integer.parseInt(value) > 1000) {
      throw new BadRequestException("limit must be 1 to 1000, got '" + value + "'");
    }
    return Integer.parseInt(value);
  }

  private static String counterId(Context ctx) {
    String id = ctx.pathParam("id");
    CounterIds.problem(id).ifPresent(problem -> {
      throw new BadRequestException(problem);
    });
    return id;
  }

  private static Duration duration(Context ctx, String name, boolean required) {
    String value = ctx.queryParam(name);
    if (value == null || value.isBlank()) {
      if (required) {
        throw new BadRequestException("query parameter " + name + " is required, e.g. " + name + "=PT15M");
      }
      return null;
    }
    try {
      return Duration.parse(value);
    } catch (DateTimeParseException e) {
      throw new BadRequestException(name + " must be an ISO-8601 duration such as PT15M, PT1H or P1D, got '"
          + value + "'");
    }
  }

  private static int confidence(String value) {
    if (value == null || value.isBlank()) {
      return 2;
    }
    if (!value.matches("[123]")) {
      throw new BadRequestException("confidence must be 1, 2 or 3 standard deviations, got '" + value + "'");
    }
    return Integer.parseInt(value);
  }

  private static JsonNode json(String body) {
    try {
      return JSON.readTree(body == null || body.isBlank() ? "{}" : body);
    } catch (JsonProcessingException e) {
      throw new BadRequestException("body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static Instant instant(JsonNode body, String name) {
    JsonNode value = body.get(name);
    return value == null || value.isNull() ? null : instant(name, value.asText());
  }

  private static Instant instant(Context ctx, String name) {
    return instant(name, ctx.queryParam(name));
  }

  private static Instant instant(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return value.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(value))
          : Instant.parse(value);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new BadRequestException(name + " must be an ISO-8601 instant or epoch milliseconds, got '"
          + value + "'");
    }
  }

  private static void error(Context ctx, HttpStatus status, Exception e) {
    ctx.status(status).json(Map.of("error", e.getMessage()));
  }

  private static void unavailable(Context ctx, Exception e) {
    ctx.header("Retry-After", "1");
    error(ctx, HttpStatus.SERVICE_UNAVAILABLE, e);
  }
}
