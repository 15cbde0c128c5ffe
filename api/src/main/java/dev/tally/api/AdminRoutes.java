package dev.tally.api;

import static dev.tally.api.Params.counterId;
import static dev.tally.api.Params.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.ingest.ShardPins;
import dev.tally.query.BadRequestException;
import dev.tally.schemas.ShardConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;
import java.util.Map;

/** Changes to how counters are kept: pinning a shard count. */
final class AdminRoutes {

  private AdminRoutes() {}

  static void register(RoutesConfig routes, ShardPins pins) {
    routes.post("/v1/counters/{id}/shards", ctx -> {
      JsonNode body = json(ctx.body());
      if (body.get("shards") == null || !body.get("shards").isIntegralNumber() || !body.get("shards").canConvertToInt()) {
        throw new BadRequestException("body must be {\"shards\": 1, 4, 16 or 64}");
      }
      ShardConfig pinned = pins.pin(counterId(ctx), body.get("shards").intValue());
      ctx.status(HttpStatus.ACCEPTED).json(Map.of("counter", pinned.getCounter(), "shards", pinned.getShards()));
    }, Role.ADMIN);
  }
}
