package dev.tally.api;

import dev.tally.ingest.IngestService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;
import java.util.concurrent.CompletableFuture;

/** Writes: single increments and batches, answered once Kafka has them, without a thread waiting for it. */
final class IngestRoutes {

  private IngestRoutes() {}

  static void register(RoutesConfig routes, IngestService ingest) {
    // Parsed on the request thread; the acknowledgement is awaited without holding it.
    routes.post("/v1/counters/{id}/increments", ctx -> {
      CompletableFuture<IngestService.Result> result = ingest.increment(ctx.pathParam("id"), ctx.body());
      ctx.future(() -> result.thenAccept(accepted -> ctx.status(HttpStatus.ACCEPTED).json(accepted)));
    });
    routes.post("/v1/events", ctx -> {
      CompletableFuture<IngestService.Result> result = ingest.batch(ctx.bodyInputStream());
      ctx.future(() -> result.thenAccept(answer ->
          ctx.status(answer.accepted() == 0 ? HttpStatus.BAD_REQUEST : HttpStatus.ACCEPTED).json(answer)));
    });
  }
}
