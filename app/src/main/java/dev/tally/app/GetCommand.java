package dev.tally.app;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally get ID [--window PT1H]}: prints a counter, or its trailing window, as the HTTP API returns it. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print a counter.")
final class GetCommand implements Callable<Integer> {

  @Parameters(paramLabel = "ID", description = "Counter id.")
  String id;

  @Option(names = "--window", paramLabel = "DURATION",
      description = "The count in this trailing window (ISO-8601, e.g. PT1H) instead of the all-time total.")
  String window;

  @Option(names = "--url", defaultValue = "http://localhost:7070",
      description = "Any Tally instance (default: ${DEFAULT-VALUE}).")
  String url;

  @Override
  public Integer call() throws IOException, InterruptedException {
    String suffix = window == null ? "" : "/last?window=" + URLEncoder.encode(window, StandardCharsets.UTF_8);
    return ApiCalls.print(HttpRequest.newBuilder(ApiCalls.counterUri(url, id, suffix))
        .timeout(Duration.ofSeconds(10)).GET().build(), 200);
  }
}
