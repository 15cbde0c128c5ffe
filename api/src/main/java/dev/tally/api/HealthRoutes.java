package dev.tally.api;

import dev.tally.query.Readiness;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/** Liveness, readiness and Prometheus metrics. */
public final class HealthRoutes {

  public static final String LIVE = "/health/live";
  public static final String READY = "/health/ready";
  public static final String SERVING = "/health/serving";
  public static final String METRICS = "/metrics";

  private HealthRoutes() {}

  static void register(RoutesConfig routes, PrometheusMeterRegistry metrics, Supplier<Readiness> readiness) {
    routes.get(METRICS, ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(metrics.scrape()));
    // A Streams client in ERROR never recovers by itself: liveness fails, so that the process is
    // restarted (issue 12, item 12), where readiness alone would leave it up and counting nothing.
    routes.get(LIVE, ctx -> {
      KafkaStreams.State state = readiness.get().state();
      boolean failed = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR;
      ctx.status(failed ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK)
          .json(Map.of("status", failed ? "DOWN" : "UP", "streams", state.toString()));
    });
    routes.get(READY, ctx -> {
      Readiness now = readiness.get();
      ctx.status(now.ready() ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
          .json(Map.of("status", now.state().toString(), "stalled", now.stalled()));
    });
    // Kubernetes readiness (issue 16): whether this instance should get requests. Writes go to Kafka,
    // not to Streams, so they are taken while Streams rebalances; a read of a key not queryable yet
    // answers 503 with Retry-After, or a standby's count with its lag. So only a Streams client that
    // is stopping or failed takes the instance out of service, not a rebalance.
    routes.get(SERVING, ctx -> {
      KafkaStreams.State state = readiness.get().state();
      boolean serving = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
      ctx.status(serving ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
          .json(Map.of("status", serving ? "SERVING" : "NOT_SERVING", "streams", state.toString()));
    });
  }
}
