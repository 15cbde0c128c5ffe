package dev.tally.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's graceful handler, so that a stop waits for the requests in flight (up to the server's stop
 * timeout) and turns away those that arrive on kept-alive connections meanwhile: here with the API's own
 * 503, JSON with {@code Retry-After}, where Jetty's is an HTML page.
 */
final class GracefulStop extends GracefulHandler {

  private static final ByteBuffer STOPPING = ByteBuffer.wrap(
      "{\"error\":\"this instance is stopping; retry in a second (another instance, if there is one)\"}"
          .getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!isShutdown()) {
      return super.handle(request, response, callback);
    }
    response.setStatus(HttpStatus.SERVICE_UNAVAILABLE_503);
    response.getHeaders()
        .put(HttpHeader.CONTENT_TYPE, "application/json")
        .put(HttpHeader.RETRY_AFTER, "1")
        .put(HttpHeader.CONNECTION, "close");
    response.write(true, STOPPING.slice(), callback);
    return true;
  }
}
