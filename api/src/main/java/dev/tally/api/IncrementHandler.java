package dev.tally.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.ingest.IngestService;
import dev.tally.ingest.IngestUnavailableException;
import dev.tally.ingest.InvalidEventException;
import dev.tally.ingest.RateLimitedException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
import org.eclipse.jetty.util.URIUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/counters/{id}/increments} on Jetty's own handler API, ahead of Javalin's servlet.
 * The busiest write route answers from the producer's acknowledgement straight into Jetty's
 * non-blocking write, without the servlet's async dispatch, which cost more than the send itself
 * (docs/benchmarks.md). It answers as the Javalin routes do: the same JSON, the same statuses, the
 * same bearer-token check; any other request passes through.
 */
final class IncrementHandler extends Handler.Wrapper {

  private static final Logger log = LoggerFactory.getLogger(IncrementHandler.class);
  /** The route, as Javalin writes routes. */
  static final String ROUTE = "/v1/counters/{id}/increments";
  private static final String PREFIX = "/v1/counters/";
  private static final String SUFFIX = "/increments";
  private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
  private static final HttpField ASYNC_APPLIED = new PreEncodedHttpField("Preference-Applied", "respond-async");
  private static final HttpField RETRY_AFTER = new PreEncodedHttpField(HttpHeader.RETRY_AFTER, "1");

  private final IngestService ingest;
  private final BearerAuth auth;
  private final ObjectMapper json;
  private final int maxBodyBytes;

  IncrementHandler(IngestService ingest, BearerAuth auth, ObjectMapper json, long maxBodyBytes) {
    this.ingest = ingest;
    this.auth = auth;
    this.json = json;
    this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String counter = HttpMethod.POST.is(request.getMethod()) ? counterOf(request.getHttpURI().getPath()) : null;
    if (counter == null) {
      return super.handle(request, response, callback);
    }
    try {
      auth.check(Set.of(Role.WRITE), request.getHeaders().get(HttpHeader.AUTHORIZATION));
    } catch (BearerAuth.AuthException e) {
      if (e.status() == HttpStatus.UNAUTHORIZED_401) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      }
      error(response, callback, e.status(), e.getMessage());
      return true;
    }
    boolean durable = !prefersAsync(request);
    if (!durable) {
      response.getHeaders().put(ASYNC_APPLIED);
    }
    if (request.getLength() > maxBodyBytes) {
      error(response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413, tooLarge());
      return true;
    }
    Content.Source.asByteArrayAsync(request, maxBodyBytes).whenComplete((body, failure) -> {
      if (failure != null) {
        // The only way to fail with a body in hand: it went past the limit as it arrived.
        error(response, callback, Request.getContentBytesRead(request) > maxBodyBytes
            ? HttpStatus.PAYLOAD_TOO_LARGE_413 : HttpStatus.BAD_REQUEST_400,
            Request.getContentBytesRead(request) > maxBodyBytes ? tooLarge() : "could not read the body");
        return;
      }
      increment(counter, new String(body, StandardCharsets.UTF_8), durable, response, callback);
    });
    return true;
  }

  private void increment(String counter, String body, boolean durable, Response response, Callback callback) {
    CompletableFuture<IngestService.Result> result;
    try {
      result = ingest.increment(counter, body, durable);
    } catch (RuntimeException e) {
      failed(e, response, callback);
      return;
    }
    result.whenComplete((accepted, failure) -> {
      if (failure != null) {
        failed(failure, response, callback);
      } else {
        write(response, callback, HttpStatus.ACCEPTED_202, accepted);
      }
    });
  }

  private void failed(Throwable failure, Response response, Callback callback) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof InvalidEventException) {
      error(response, callback, HttpStatus.BAD_REQUEST_400, cause.getMessage());
    } else if (cause instanceof RateLimitedException) {
      response.getHeaders().put(RETRY_AFTER);
      error(response, callback, HttpStatus.TOO_MANY_REQUESTS_429, cause.getMessage());
    } else if (cause instanceof IngestUnavailableException) {
      response.getHeaders().put(RETRY_AFTER);
      error(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, cause.getMessage());
    } else {
      log.error("unexpected error serving POST {}", ROUTE, cause);
      error(response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500, "internal error; see the server log");
    }
  }

  private void error(Response response, Callback callback, int status, String message) {
    write(response, callback, status, Map.of("error", message));
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
   * The counter id of an increment's path, or null if {@code path} is not one. As Javalin matches
   * routes: one segment, percent-decoded, and a trailing slash ignored.
   */
  static String counterOf(String path) {
    if (path == null || !path.startsWith(PREFIX)) {
      return null;
    }
    int end = path.endsWith("/") ? path.length() - 1 : path.length();
    if (!path.startsWith(SUFFIX, end - SUFFIX.length()) || end - SUFFIX.length() <= PREFIX.length()) {
      return null;
    }
    String segment = path.substring(PREFIX.length(), end - SUFFIX.length());
    if (segment.indexOf('/') >= 0) {
      return null;
    }
    try {
      return segment.indexOf('%') >= 0 ? URIUtil.decodePath(segment) : segment;
    } catch (IllegalArgumentException notDecodable) {
      return segment; // no valid counter id holds a '%': refused as such
    }
  }

  /** Whether the client asked for {@code Prefer: respond-async} (RFC 7240). */
  static boolean prefersAsync(Request request) {
    for (HttpField field : request.getHeaders()) {
      if (field.is("Prefer")) {
        for (String preference : field.getValue().split(",")) {
          if (preference.strip().equalsIgnoreCase("respond-async")) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
