package dev.tally.app;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally shards set ID N}: pin a counter's shard count ahead of a known spike. */
@Command(name = "shards", mixinStandardHelpOptions = true, description = "Counter shard counts.",
    subcommands = ShardsCommand.Set.class)
final class ShardsCommand {

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Spread counter ID over N shard keys (1, 4, 16 or 64; never lower than now).")
  static final class Set implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "Counter id.")
    String id;

    @Parameters(index = "1", paramLabel = "N", description = "Shard count: 1, 4, 16 or 64.")
    int shards;

    @Option(names = "--url", defaultValue = "http://localhost:7070",
        description = "Any Tally instance (default: ${DEFAULT-VALUE}).")
    String url;

    @Override
    public Integer call() throws IOException, InterruptedException {
      return ApiCalls.print(HttpRequest.newBuilder(ApiCalls.counterUri(url, id, "/shards"))
          .timeout(Duration.ofSeconds(30))
          .POST(HttpRequest.BodyPublishers.ofString("{\"shards\":" + shards + "}"))
          .build(), 202);
    }
  }
}
