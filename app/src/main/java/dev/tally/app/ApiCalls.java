package dev.tally.app;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The HTTP calls of the CLI commands: print the answer, or the error and exit code 1. */
final class ApiCalls {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ApiCalls() {}

  /** {@code baseUrl}/v1/counters/{counter}{@code suffix}, the counter id percent-encoded as a path segment. */
  static URI counterUri(String baseUrl, String counter, String suffix) {
    String segment = URLEncoder.encode(counter, StandardCharsets.UTF_8).replace("+", "%20");
    return URI.create(baseUrl + "/v1/counters/" + segment + suffix);
  }

  /**
   * Sends {@code request}, with {@code $TALLY_TOKEN} as its bearer token when that is set; prints the
   * body on {@code expectedStatus}, else the status and body on stderr.
   */
  static int print(HttpRequest request, int expectedStatus) throws IOException, InterruptedException {
    String token = System.getenv("TALLY_TOKEN");
    HttpRequest sent = token == null || token.isBlank() ? request
        : HttpRequest.newBuilder(request, (name, value) -> true).header("Authorization", "Bearer " + token).build();
    HttpResponse<String> response = HTTP.send(sent, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == expectedStatus) {
      System.out.println(response.body());
      return 0;
    }
    System.err.println("tally: " + response.statusCode() + " " + response.body());
    return 1;
  }
}
