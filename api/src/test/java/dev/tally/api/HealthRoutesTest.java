package dev.tally.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.query.Readiness;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 12: a Streams client in ERROR never recovers by itself, so liveness fails and the
 * process is restarted; while Streams only rebalances, the process is alive but not ready. Issue 16:
 * it still serves (Kubernetes readiness), since writes do not wait for Streams.
 */
class HealthRoutesTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void livenessFailsOnlyWhenStreamsHasFailed() throws Exception {
    AtomicReference<Readiness> readiness = new AtomicReference<>();
    Javalin app = Javalin.create(config -> {
      config.startup.showJavalinBanner = false;
      HealthRoutes.register(config.routes, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), readiness::get);
    }).start("127.0.0.1", 0);
    try {
      readiness.set(new Readiness(KafkaStreams.State.RUNNING, List.of()));
      assertThat(status(app, "/health/live")).isEqualTo(200);
      assertThat(status(app, "/health/ready")).isEqualTo(200);
      assertThat(status(app, "/health/serving")).isEqualTo(200);

      readiness.set(new Readiness(KafkaStreams.State.REBALANCING, List.of()));
      assertThat(status(app, "/health/live")).isEqualTo(200);
      assertThat(status(app, "/health/ready")).isEqualTo(503);
      assertThat(status(app, "/health/serving")).isEqualTo(200);

      for (KafkaStreams.State stopping : List.of(KafkaStreams.State.CREATED, KafkaStreams.State.PENDING_SHUTDOWN,
          KafkaStreams.State.NOT_RUNNING)) {
        readiness.set(new Readiness(stopping, List.of()));
        assertThat(status(app, "/health/serving")).as(stopping.toString()).isEqualTo(503);
      }

      for (KafkaStreams.State failed : List.of(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR)) {
        readiness.set(new Readiness(failed, List.of()));
        assertThat(status(app, "/health/live")).as(failed.toString()).isEqualTo(503);
        assertThat(status(app, "/health/ready")).as(failed.toString()).isEqualTo(503);
        assertThat(status(app, "/health/serving")).as(failed.toString()).isEqualTo(503);
      }
    } finally {
      app.stop();
    }
  }

  private int status(Javalin app, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
