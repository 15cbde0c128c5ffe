package dev.tally.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.ingest.IngestService;
import dev.tally.query.BadRequestException;
import dev.tally.query.CounterQueries;
import dev.tally.query.ReadContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.URIUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two busiest routes, {@code POST /v1/counters/{id}/increments} and {@code GET /v1/counters/{id}},
 * (and its {@code HEAD}) on Jetty's own handler API, ahead of Javalin's servlet. An increment's answer is written from the
 * producer's acknowledgement straight into Jetty's non-blocking write, without the servlet's async
 * dispatch, which cost more than the send itself; a point read skips the servlet and Javalin's
 * routing, about half of its time on a Jetty thread (docs/benchmarks.md). Both answer as the Javalin
 * routes do: the same JSON, statuses, headers and bearer-token check. Any other request passes through.
 */
final class CoreRoutes extends Handler.Wrapper {

  private static final Logger log = LoggerFactory.getLogger(CoreRoutes.class);
  /** The routes, as Javalin writes routes. */
  static final String INCREMENTS = "/v1/counters/{id}/increments";
  static final String COUNTER = "/v1/counters/{id}";
  private static final String PREFIX = "/v1/counters/";
  private static final String INCREMENTS_SUFFIX = "/increments";
  private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
  private static final HttpField ASYNC_APPLIED = new PreEncodedHttpField("Preference-Applied", "respond-async");

  private final IngestService ingest;
  private final CounterQueries queries;
  private final BearerAuth auth;
  private final ObjectMapper json;
  private final int maxBodyBytes;

  CoreRoutes(IngestService ingest, CounterQueries queries, BearerAuth auth, ObjectMapper json, long maxBodyBytes) {
    this.ingest = ingest;
    this.queries = queries;
    this.auth = auth;
    this.json = json;
    this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String path = request.getHttpURI().getPath();
    if (HttpMethod.POST.is(request.getMethod())) {
      String counter = counterOf(path, INCREMENTS_SUFFIX);
      if (counter != null) {
        serve(Role.WRITE, request, response, callback, body -> increment(counter, body, request, response, callback));
        return true;
      }
    } else if (HttpMethod.GET.is(request.getMethod()) || HttpMethod.HEAD.is(request.getMethod())) {
      String counter = counterOf(path, "");
      if (counter != null) {
        serve(Role.READ, request, response, callback, body -> read(counter, request, response, callback));
        return true;
      }
    }
    return super.handle(request, response, callback);
  }

  /**
   * Checks the token for {@code role}, then reads the body (up to the limit: a GET's too, so that its
   * connection stays usable) without holding a thread, and hands it to {@code route}.
   */
  private void serve(Role role, Request request, Response response, Callback callback, Consumer<String> route) {
    try {
      auth.check(Set.of(role), request.getHeaders().get(HttpHeader.AUTHORIZATION));
    } catch (BearerAuth.AuthException e) {
      failed(e, request, response, callback);
      return;
    }
    if (request.getLength() > maxBodyBytes) {
      error(response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413, tooLarge());
      return;
    }
    Content.Source.asByteArrayAsync(request, maxBodyBytes).whenComplete((body, failure) -> {
      if (failure != null) {
        // Past the limit as it arrived, or the client went away mid-body.
        boolean over = Request.getContentBytesRead(request) > maxBodyBytes;
        error(response, callback, over ? HttpStatus.PAYLOAD_TOO_LARGE_413 : HttpStatus.BAD_REQUEST_400,
            over ? tooLarge() : "could not read the request body");
        return;
      }
      try {
        route.accept(new String(body, StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        failed(e, request, response, callback);
      }
    });
  }

  private void increment(String counter, String body, Request request, Response response, Callback callback) {
    boolean durable = !Params.respondAsync(request.getHeaders().getValuesList("Prefer"));
    if (!durable) {
      response.getHeaders().put(ASYNC_APPLIED);
    }
    CompletableFuture<IngestService.Result> result = ingest.increment(counter, body, durable);
    result.whenComplete((accepted, failure) -> {
      if (failure != null) {
        failed(failure, request, response, callback);
      } else {
        write(response, callback, HttpStatus.ACCEPTED_202, accepted);
      }
    });
  }

  private void read(String counter, Request request, Response response, Callback callback) {
    Fields query;
    try {
      query = Request.extractQueryParameters(request);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new BadRequestException("the query string cannot be read: " + e.getMessage());
    }
    ReadContext read = Params.readContext(query.getValue("consistency"), query.getValue("after"));
    Object total = queries.total(Params.counterId(counter), "true".equals(query.getValue("fresh")), read);
    if (read.servedByStandby()) {
      response.getHeaders().put(Params.SERVED_BY_HEADER, "standby");
      response.getHeaders().put(Params.MAX_LAG_HEADER, Long.toString(read.maxLag()));
    }
    write(response, callback, HttpStatus.OK_200, total);
  }

  private void failed(Throwable failure, Request request, Response response, Callback callback) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    Failure answer = Failure.of(cause);
    if (answer == Failure.INTERNAL) {
      log.error("unexpected error serving {} {}", request.getMethod(), request.getHttpURI().getPath(), cause);
    }
    answer.headers().forEach(response.getHeaders()::put);
    write(response, callback, answer.status(), answer.body());
  }

  private void error(Response response, Callback callback, int status, String message) {
    write(response, callback, status, new Failure(status, message).body());
  }

  private void write(Response response, Callback callback, int status, Object answer) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(answer);
    } catch (JsonProcessingException e) {
      callback.failed(e);
      return;
    }
    response.setStatus(status);
    response.getHeaders().put(JSON);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  private String tooLarge() {
    return "a request body holds at most " + maxBodyBytes + " bytes";
  }

  /**
   * The counter id of a path {@code /v1/counters/{id}} followed by {@code suffix}, or null if
   * {@code path} is not one. As Javalin matches routes: one segment, percent-decoded, and a trailing
   * slash ignored.
   */
  static String counterOf(String path, String suffix) {
    if (path == null || !path.startsWith(PREFIX)) {
      return null;
    }
    int end = path.endsWith("/") ? path.length() - 1 : path.length();
    if (!path.startsWith(suffix, end - suffix.length()) || end - suffix.length() <= PREFIX.length()) {
      return null;
    }
    String segment = path.substring(PREFIX.length(), end - suffix.length());
    if (segment.indexOf('/') >= 0) {
      return null;
    }
    try {
      return segment.indexOf('%') >= 0 ? URIUtil.decodePath(segment) : segment;
    } catch (IllegalArgumentException notDecodable) {
      return segment; // no valid counter id holds a '%': refused as such
    }
  }
}
