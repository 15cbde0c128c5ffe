package dev.tally.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally broker}: the embedded broker alone, so several {@code serve} instances can share it. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run a single-node Kafka broker (KRaft) in this process.")
final class BrokerCommand implements Callable<Integer> {

  @Option(names = "--port", defaultValue = "9092", description = "Kafka port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data-dir", defaultValue = "data/broker",
      description = "Broker log directory (default: ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "6",
      description = "Default partitions of new topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedBroker broker = EmbeddedBroker.start(dataDir, port, partitions);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      broker.close();
      stopped.countDown();
    }, "tally-broker-shutdown"));
    System.out.printf("tally: Kafka broker at %s (data in %s). Ctrl-C stops.%n",
        broker.bootstrapServers(), dataDir.toAbsolutePath().normalize());
    stopped.await();
    return 0;
  }
}
