package dev.tally.api;

import static dev.tally.api.Params.json;
import static dev.tally.api.Params.limit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.query.Fetched;
import dev.tally.query.Router;
import dev.tally.query.StoreRead;
import io.javalin.config.RoutesConfig;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.query.Position;

/**
 * Between instances only ({@link HttpPeerClient} calls them): answered from this instance's own copies,
 * never forwarded again.
 */
final class InternalRoutes {

  private InternalRoutes() {}

  static void register(RoutesConfig routes, Router router, FetchCodec codec) {
    routes.post("/internal/v1/fetch", ctx -> {
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
    routes.get("/internal/v1/top", ctx -> ctx.json(router.local().top(limit(ctx))));
    // This instance's Kafka Streams state and input lag, for the other instances' /v1/instances.
    routes.get("/internal/v1/state", ctx -> ctx.json(router.localState()));
  }
}
