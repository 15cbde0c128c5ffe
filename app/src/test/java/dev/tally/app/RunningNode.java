package dev.tally.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link TallyNode} for the tests of a class, registered as a static
 * {@code @RegisterExtension} field: started in a data directory of its own and ready
 * ({@code /health/ready}) before the first test, closed and its directory deleted after the last.
 */
final class RunningNode implements BeforeAllCallback, AfterAllCallback {

  private final Function<Path, NodeSettings> settings;
  private Path dataDir;
  private TallyNode node;
  private TallyClient client;

  /** @param settings the node's settings, given its data directory */
  RunningNode(Function<Path, NodeSettings> settings) {
    this.settings = settings;
  }

  /** A node with its own embedded broker ({@link TestNodes#embedded}). */
  static RunningNode embedded(String name, int partitions, int threads) {
    return new RunningNode(dataDir -> TestNodes.embedded(dataDir, name, partitions, threads));
  }

  TallyNode node() {
    return node;
  }

  TallyClient client() {
    return client;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dataDir = Files.createTempDirectory("tally-" + context.getRequiredTestClass().getSimpleName() + "-");
    node = TallyNode.start(settings.apply(dataDir));
    client = new TallyClient(node.httpPort()).awaitReady();
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    if (node != null) {
      node.close();
    }
    // Not ApplicationState.wipe, which stops at the first file it cannot delete: a test's cleanup
    // deletes what it can and fails nothing.
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
    }
  }
}
