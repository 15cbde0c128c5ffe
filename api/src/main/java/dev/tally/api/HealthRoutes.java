package dev.tally.api;

import dev.tally.query.Readiness;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/** Liveness, readiness and Prometheus metrics. */
final class HealthRoutes {

  private HealthRoutes() {}

  static void register(RoutesConfig routes, PrometheusMeterRegistry metrics, Supplier<Readiness> readiness) {
    routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(metrics.scrape()));
    // A Streams client in ERROR never recovers by itself: liveness fails, so that the process is
    // restarted (issue 12, item 12), where readiness alone would leave it up and counting nothing.
    routes.get("/health/live", ctx -> {
      KafkaStreams.State state = readiness.get().state();
      boolean failed = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR;
      ctx.status(failed ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK)
          .json(Map.of("status", failed ? "DOWN" : "UP", "streams", state.toString()));
    });
    routes.get("/health/ready", ctx -> {
      Readiness now = readiness.get();
      ctx.status(now.ready() ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
          .json(Map.of("status", now.state().toString(), "stalled", now.stalled()));
    });
  }
}
