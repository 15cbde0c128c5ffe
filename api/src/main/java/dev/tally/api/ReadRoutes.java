package dev.tally.api;

import static dev.tally.api.Params.confidence;
import static dev.tally.api.Params.counterId;
import static dev.tally.api.Params.duration;
import static dev.tally.api.Params.instant;
import static dev.tally.api.Params.json;
import static dev.tally.api.Params.limit;
import static dev.tally.api.Params.readContext;
import static dev.tally.api.Params.reply;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.query.BadRequestException;
import dev.tally.query.CounterQueries;
import dev.tally.query.ReadContext;
import dev.tally.query.Router;
import dev.tally.topology.CounterTopology;
import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads: a counter's windows, rate and uniques, unions, the top counters and the instances. A counter's
 * total, the busiest read, is served ahead of Javalin by {@link CoreRoutes}.
 */
final class ReadRoutes {

  private ReadRoutes() {}

  static void register(RoutesConfig routes, CounterQueries queries, Router router) {
    routes.get("/v1/counters/{id}/last", ctx -> {
      ReadContext read = readContext(ctx);
      reply(ctx, read, queries.last(counterId(ctx), duration(ctx, "window", true), read));
    }, Role.READ);
    routes.get("/v1/counters/{id}/windows", ctx -> {
      ReadContext read = readContext(ctx);
      reply(ctx, read, queries.windows(counterId(ctx), duration(ctx, "size", true),
          duration(ctx, "advance", false), instant(ctx, "from"), instant(ctx, "to"), read));
    }, Role.READ);
    routes.get("/v1/counters/{id}/rate", ctx -> {
      ReadContext read = readContext(ctx);
      reply(ctx, read, queries.rate(counterId(ctx), read));
    }, Role.READ);
    routes.get("/v1/counters/{id}/uniques", ctx -> {
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
    }, Role.READ);
    routes.post("/v1/uniques/union", ctx -> {
      JsonNode body = json(ctx.body());
      if (body.get("counters") == null || !body.get("counters").isArray()) {
        throw new BadRequestException("body must hold \"counters\": an array of counter ids");
      }
      List<String> counters = new ArrayList<>();
      for (JsonNode counter : body.get("counters")) {
        counters.add(counterId(counter.isTextual() ? counter.textValue() : null));
      }
      ReadContext read = readContext(ctx);
      reply(ctx, read, queries.uniques(counters, instant(body, "from"), instant(body, "to"),
          confidence(body.has("confidence") ? body.get("confidence").asText() : null), read));
    }, Role.READ);
    routes.get("/v1/top", ctx -> {
      Duration window = duration(ctx, "window", false);
      if (window != null && !window.equals(CounterTopology.RATE_WINDOW)) {
        throw new BadRequestException("the top counters are ranked by their events in the last "
            + CounterTopology.RATE_WINDOW + "; window must be " + CounterTopology.RATE_WINDOW);
      }
      ctx.json(Map.of("window", CounterTopology.RATE_WINDOW, "counters", router.top(limit(ctx))));
    }, Role.READ);
    routes.get("/v1/instances", ctx -> ctx.json(router.instances()), Role.READ);
  }
}
