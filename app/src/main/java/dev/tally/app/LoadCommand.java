package dev.tally.app;

import dev.tally.ingest.Coalescer;
import dev.tally.ingest.EventSender;
import dev.tally.ingest.LoadGenerator;
import dev.tally.ingest.ShardCounts;
import dev.tally.ingest.TallyProducer;
import dev.tally.topology.TallyConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally load}: a load generator with a live progress line. */
@Command(name = "load", mixinStandardHelpOptions = true,
    description = "Send increments at a steady rate through TallyProducer (following shard counts).")
final class LoadCommand implements Callable<Integer> {

  @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092",
      description = "Kafka (default: ${DEFAULT-VALUE}, the broker of a default `tally serve`).")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*) for a secured cluster.")
  Path kafkaConfig;

  @Option(names = "--rate", defaultValue = "10000", description = "Events per second (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--counters", defaultValue = "1000",
      description = "Counters load:0 .. load:K-1 the rest of the events spread over (default: ${DEFAULT-VALUE}).")
  int counters;

  @Option(names = "--hot-share", defaultValue = "0",
      description = "Share of events to the one counter 'hot', 0 to 1 (default: ${DEFAULT-VALUE}).")
  double hotShare;

  @Option(names = "--uniques", defaultValue = "0",
      description = "Give every event one of this many items (default: ${DEFAULT-VALUE}, none).")
  int uniques;

  @Option(names = "--duration", defaultValue = "PT1M",
      description = "How long to send, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--coalesce", defaultValue = "true", negatable = true,
      description = "Merge increments of a counter within 5 ms before sending (default: ${DEFAULT-VALUE}).")
  boolean coalesce;

  @Override
  public Integer call() {
    Map<String, Object> kafka = KafkaConfigFile.clientSettings(kafkaConfig, bootstrapServers);
    try (ShardCounts shards = new ShardCounts(kafka, TallyConfig.SHARD_CONFIG_TOPIC);
        TallyProducer producer = new TallyProducer(kafka, TallyConfig.INCREMENTS_TOPIC, shards::of);
        Coalescer coalescer = new Coalescer(producer, Coalescer.DEFAULT_INTERVAL)) {
      EventSender sender = coalesce ? coalescer : producer;
      LoadGenerator generator = new LoadGenerator(sender, Clock.systemUTC());
      Runtime.getRuntime().addShutdownHook(new Thread(generator::stop, "tally-load-stop"));
      ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
      long start = System.nanoTime();
      progress.scheduleAtFixedRate(() -> System.out.printf("\rsent %,d  acknowledged %,d  failed %,d  %,.0f/s  hot shards %d   ",
          generator.sent(), generator.acknowledged(), generator.failed(),
          generator.sent() / Math.max(1e-9, (System.nanoTime() - start) / 1e9), shards.of("hot")), 1, 1, TimeUnit.SECONDS);
      generator.run(new LoadGenerator.Plan(rate, counters, hotShare, uniques, duration), System.nanoTime());
      progress.shutdownNow();
      coalescer.flush();
      producer.flush();
      System.out.printf("%nsent %,d events, %,d acknowledged, %,d failed%n", generator.sent(),
          generator.acknowledged(), generator.failed());
      return generator.failed() == 0 ? 0 : 1;
    }
  }
}
