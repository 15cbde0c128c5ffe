package dev.tally.api;

import dev.tally.ingest.IngestService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;

/** Writes: single increments and batches, answered once Kafka has them. */
final class IngestRoutes {

  private IngestRoutes() {}

  static void register(RoutesConfig routes, IngestService ingest) {
    routes.post("/v1/counters/{id}/increments",
        ctx -> ctx.status(HttpStatus.ACCEPTED).json(ingest.increment(ctx.pathParam("id"), ctx.body())));
    routes.post("/v1/events", ctx -> {
      IngestService.Result result = ingest.batch(ctx.bodyInputStream());
      ctx.status(result.accepted() == 0 ? HttpStatus.BAD_REQUEST : HttpStatus.ACCEPTED).json(result);
    });
  }
}
