package dev.tally.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A single-node KRaft broker in its own process ({@code tally broker}, from the packaged jar), as in
 * ../shared/PERFORMANCE.md: a broker inside the benchmark's JVM shared its heap, its GC and its JIT
 * with the clients it measured, and its produce ceiling moved threefold between runs.
 */
final class BrokerProcess implements AutoCloseable {

  private final Process process;
  private final String bootstrapServers;

  private BrokerProcess(Process process, String bootstrapServers) {
    this.process = process;
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts the broker with its data in {@code dataDir} and waits until it answers. */
  static BrokerProcess start(Path dataDir, int partitions) throws IOException, InterruptedException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path jar = JavaProcess.tallyJar();
    List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g",
        "-XX:+UseG1GC", "-jar", jar.toString(), "broker", "--port", Integer.toString(port),
        "--data-dir", dataDir.toString(), "--partitions", Integer.toString(partitions));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dataDir.resolveSibling("broker.log").toFile()).start();
    // A bench stopped by a signal skips its finally blocks; the broker must not outlive it.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "bench-broker-stop"));
    BrokerProcess broker = new BrokerProcess(process, "localhost:" + port);
    awaitAnswer(broker.bootstrapServers, Duration.ofMinutes(2), process::isAlive);
    return broker;
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  /** Waits until the broker at {@code bootstrap} answers, or {@code alive} says its process is gone. */
  static void awaitAnswer(String bootstrap, Duration timeout, BooleanSupplier alive) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      while (true) {
        if (!alive.getAsBoolean()) {
          throw new IllegalStateException("the broker process exited");
        }
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the broker did not answer within " + timeout, e);
          }
          Thread.sleep(200);
        }
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
