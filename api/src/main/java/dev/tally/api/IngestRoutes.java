package dev.tally.api;

import dev.tally.ingest.IngestService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Collections;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Batches of writes, answered once Kafka has them, without a thread waiting for it. Single increments,
 * the busiest route, are served ahead of Javalin by {@link CoreRoutes}.
 */
final class IngestRoutes {

  private IngestRoutes() {}

  static void register(RoutesConfig routes, IngestService ingest) {
    // Parsed on the request thread; the acknowledgement is awaited without holding it.
    routes.post("/v1/events", ctx -> {
      boolean durable = durable(ctx);
      CompletableFuture<IngestService.Result> result = ingest.batch(ctx.bodyInputStream(), durable,
          Boolean.parseBoolean(ctx.queryParam("backfill")));
      answer(ctx, result, answer ->
          ctx.status(answer.accepted() == 0 ? HttpStatus.BAD_REQUEST : HttpStatus.ACCEPTED).json(answer));
    }, Role.WRITE);
  }

  /** Renders {@code result} at once if it is already there (an async dispatch costs a millisecond), else when it is. */
  private static void answer(Context ctx, CompletableFuture<IngestService.Result> result,
      Consumer<IngestService.Result> render) {
    if (result.isDone() && !result.isCompletedExceptionally()) {
      render.accept(result.join());
    } else {
      ctx.future(() -> result.thenAccept(render));
    }
  }

  /**
   * False when the client asked for {@code Prefer: respond-async} (RFC 7240): then the answer comes once
   * the events are handed to the producer, before Kafka has them, and says so.
   */
  private static boolean durable(Context ctx) {
    if (Params.respondAsync(Collections.list(ctx.req().getHeaders("Prefer")))) {
      ctx.header("Preference-Applied", "respond-async");
      return false;
    }
    return true;
  }
}
