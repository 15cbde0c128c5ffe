package dev.tally.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tally.ingest.IngestService;
import dev.tally.ingest.ShardPins;
import dev.tally.query.CounterQueries;
import dev.tally.query.Readiness;
import dev.tally.query.Router;
import dev.tally.query.StoreSerdes;
import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HandlerType;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API (docs/architecture.md, the README): routes grouped by resource ({@link IngestRoutes}, {@link ReadRoutes},
 * {@link AdminRoutes}, {@link HealthRoutes}; the two busiest, single increments and point reads, in
 * {@link CoreRoutes} on Jetty's own API ahead of Javalin) on the public port, and {@link InternalRoutes} between
 * instances on a port and thread pool of their own. Handlers
 * parse, call one service method and render; errors become JSON {@code {"error": "..."}}: 400 for bad
 * input, 413 for a body over a limit, 429 with {@code Retry-After} for a counter over its rate limit, 404 for an unknown route, 503 with {@code Retry-After} while Kafka or the state is
 * unavailable, and 500 only for a bug.
 */
public final class HttpApi implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  /** How long a stop waits for requests in flight: the longest an ingest request waits for Kafka, and some. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(35);

  /** Where the OpenAPI document of the public routes is served. */
  public static final String OPENAPI = "/openapi.json";
  /** The buffer Javalin copies each answer through; larger answers take more copies. */
  private static final int RESPONSE_COPY_BUFFER_BYTES = 4096;
  /** The classpath folder served at {@code /}: the dashboard. */
  private static final String DASHBOARD = "/dashboard";

  /** How answers are written, by Javalin and by {@link CoreRoutes}. */
  private static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

  private final Javalin app;
  private final Javalin internal;
  private final List<String> routes = new CopyOnWriteArrayList<>();

  /**
   * @param metrics served at {@code /metrics} in the Prometheus text format
   * @param auth who may call which public route ({@link BearerAuth#off()}: anyone)
   * @param peerSecret what the other instances present to the internal routes ({@link PeerSecret#none()}:
   *     nothing)
   * @param limits what a public request may hold
   */
  public HttpApi(IngestService ingest, ShardPins pins, CounterQueries queries, Router router,
      TallyConfig tallyConfig, PrometheusMeterRegistry metrics, Supplier<Readiness> readiness, BearerAuth auth,
      PeerSecret peerSecret, Limits limits) {
    this.app = server(config -> {
      config.events.handlerAdded(handler -> {
        if (handler.getHttpMethod().isHttpMethod()) {
          routes.add(handler.getHttpMethod() + " " + handler.getPath());
        }
      });
      config.routes.beforeMatched(auth::check);
      // A static file (the dashboard) is answered before its request has been read to the end. A GET
      // that carries a body, which nothing here reads, then made Jetty close the keep-alive connection
      // after the answer without saying so, and the client's next request on it failed: read it first.
      config.routes.before(ctx -> {
        boolean getOrHead = ctx.method() == HandlerType.GET || ctx.method() == HandlerType.HEAD;
        if (getOrHead && (ctx.contentLength() > 0 || ctx.header(Header.TRANSFER_ENCODING) != null)) {
          ctx.bodyAsBytes();
        }
      });
      config.http.maxRequestSize = limits.maxBodyBytes();
      // Javalin copies every answer into Jetty's output through a new buffer of this size (by default
      // Jetty's 32 KB): a third of all the garbage of a loaded instance, for answers mostly under 1 KB.
      config.http.responseBufferSize = RESPONSE_COPY_BUFFER_BYTES;
      config.jetty.modifyHttpConfiguration(http -> http.setRequestHeaderSize(limits.maxHeaderBytes()));
      // A stop waits for the requests in flight: an increment the coalescer holds is answered 202 once
      // Kafka has it, not cut off with an error that makes its client send it again. In Jetty 12 that
      // takes a graceful handler: without one, a stop closed the connections of requests in flight at
      // once while their sends went on, so an increment could be counted and its client told nothing.
      config.jetty.modifyServer(server -> {
        server.setStopTimeout(STOP_TIMEOUT.toMillis());
        server.insertHandler(new CoreRoutes(ingest, queries, auth, JSON, limits.maxBodyBytes()));
        server.insertHandler(new GracefulStop());
      });
      routes.add("POST " + CoreRoutes.INCREMENTS);
      routes.add("GET " + CoreRoutes.COUNTER);
      IngestRoutes.register(config.routes, ingest);
      ReadRoutes.register(config.routes, queries, router);
      AdminRoutes.register(config.routes, pins);
      HealthRoutes.register(config.routes, metrics, readiness);
      // The dashboard (GET /) and its chart library: static, open like /health (its API calls carry the token).
      config.staticFiles.add(DASHBOARD, Location.CLASSPATH);
      config.staticFiles.enableWebjars();
      byte[] openApi = openApi();
      config.routes.get(OPENAPI, ctx -> ctx.contentType("application/json").result(openApi));
    });
    // The peers' reads on a listener and thread pool of their own: however busy the public side is,
    // a peer's fetch finds a thread, and the internal routes never answer on the public port.
    FetchCodec codec = new FetchCodec(new StoreSerdes(tallyConfig));
    this.internal = server(config -> {
      config.routes.before(peerSecret::check);
      InternalRoutes.register(config.routes, router, codec);
    });
  }

  private static Javalin server(Consumer<JavalinConfig> routes) {
    return Javalin.create(config -> {
      config.jsonMapper(new JavalinJackson(JSON, false));
      config.startup.showJavalinBanner = false;
      routes.accept(config);
      config.routes.exception(Exception.class, (e, ctx) -> {
        Failure failure = Failure.of(e);
        if (failure == Failure.INTERNAL) {
          log.error("unexpected error serving {} {}", ctx.method(), ctx.path(), e);
        }
        failure.headers().forEach(ctx::header);
        ctx.status(failure.status()).json(failure.body());
      });
      config.routes.error(HttpStatus.NOT_FOUND.getCode(), "*",
          ctx -> ctx.json(Map.of("error", "no route " + ctx.method() + " " + ctx.path())));
    });
  }

  /** The public routes, as {@code METHOD PATH} ({@code GET /v1/counters/{id}}): what the OpenAPI document covers. */
  public List<String> routes() {
    return List.copyOf(routes);
  }

  private static byte[] openApi() {
    try (InputStream in = HttpApi.class.getResourceAsStream(OPENAPI)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts listening on {@code host:port}, and for the other instances on {@code host:internalPort}. */
  public HttpApi start(String host, int port, int internalPort) {
    internal.start(host, internalPort);
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  public int internalPort() {
    return internal.port();
  }

  /** Stops the public side first, answering what is in flight, then the peers' side. */
  @Override
  public void close() {
    app.stop();
    internal.stop();
  }
}
