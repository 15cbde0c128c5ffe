package dev.tally.app;

import dev.tally.schemas.Limits;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tally serve}: the Streams app and the HTTP API, with an embedded broker unless told of a cluster. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Count events and answer reads over HTTP. Without --bootstrap-servers, starts a "
        + "single-node Kafka broker in this process, keeping its data under --data-dir.")
final class ServeCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...",
      description = "Join this Kafka cluster instead of starting an embedded broker.")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*) for every client: producers, "
          + "Streams, admin and consumers. Only with --bootstrap-servers.")
  Path kafkaConfig;

  @Option(names = "--port", defaultValue = "7070", description = "HTTP port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--internal-port",
      description = "Port of the internal endpoints the other instances call (default: --port + 1000).")
  Integer internalPort;

  @Option(names = "--bind", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}). Beyond loopback, --auth-tokens-file and "
          + "--peer-secret-file, or --insecure, are required.")
  String bind;

  @Option(names = "--auth-tokens-file", paramLabel = "FILE",
      description = "Bearer tokens, one per line: TOKEN ROLE[,ROLE...] with roles read, write, admin; # comments.")
  Path authTokensFile;

  @Option(names = "--peer-secret-file", paramLabel = "FILE",
      description = "A secret of 16 or more characters on the first line, the same on every instance: "
          + "each presents it to the others' internal endpoints, which answer no one else.")
  Path peerSecretFile;

  @Option(names = "--insecure",
      description = "Serve beyond loopback without authentication.")
  boolean insecure;

  @Option(names = "--host", defaultValue = "localhost",
      description = "Host name other instances reach this one at (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--data-dir", defaultValue = "data",
      description = "Broker log and Streams state (default: ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "6",
      description = "Partitions of tally.increments when it is created (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--replication-factor",
      description = "Replicas of every topic Tally creates (its own and Kafka Streams' changelogs), with "
          + "min.insync.replicas 2 of 3 (default: 3 with --bootstrap-servers, 1 for the embedded broker).")
  Integer replicationFactor;

  @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json",
      description = "Log lines on stderr as text, or as one JSON object per line for log collectors "
          + "(default: ${DEFAULT-VALUE}).")
  String logFormat;

  @Option(names = "--kafka-port", defaultValue = "9092",
      description = "Port of the embedded broker (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(names = "--application-id", defaultValue = "tally",
      description = "Kafka Streams application id (default: ${DEFAULT-VALUE}).")
  String applicationId;

  @Option(names = "--processing-guarantee", defaultValue = "exactly_once_v2",
      description = "exactly_once_v2 (exact) or at_least_once (faster; may over-count after a crash). "
          + "Default: ${DEFAULT-VALUE}.")
  String processingGuarantee;

  @Option(names = "--threads", defaultValue = "2", description = "Stream threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Mixin
  CountingOptions counting;

  @Option(names = "--standby-replicas",
      description = "Warm standby copies of each store on other instances "
          + "(default: 1 with --bootstrap-servers, 0 with the embedded broker, where one instance runs).")
  Integer standbyReplicas;

  @Option(names = "--max-events-per-second-per-counter", defaultValue = "0",
      description = "Events per counter and second accepted at ingest; over it, 429 (default: no limit).")
  long maxEventsPerSecondPerCounter;

  @Option(names = "--max-body-bytes", defaultValue = "16777216",
      description = "Bytes of a request body; over it, 413 (default: ${DEFAULT-VALUE}, 16 MiB).")
  long maxBodyBytes;

  @Option(names = "--max-batch-events", defaultValue = "10000",
      description = "Events in one POST /v1/events; over it, 413 (default: ${DEFAULT-VALUE}).")
  int maxBatchEvents;

  @Option(names = "--max-id-length", defaultValue = "200",
      description = "Characters of a counter id written, at most 200; over it, 400 (default: ${DEFAULT-VALUE}).")
  int maxIdLength;

  @Option(names = "--max-header-bytes", defaultValue = "8192",
      description = "Bytes of a request's line and headers; over it, 431 (default: ${DEFAULT-VALUE}).")
  int maxHeaderBytes;

  @Option(names = "--max-union-counters", defaultValue = "1000",
      description = "Counters in one POST /v1/uniques/union; over it, 400 (default: ${DEFAULT-VALUE}).")
  int maxUnionCounters;

  @Option(names = "--streams-config", paramLabel = "KEY=VALUE",
      description = "Any further Kafka Streams setting, e.g. consumer.session.timeout.ms=10000 (repeatable).")
  Map<String, String> streamsConfig = new HashMap<>();

  @Override
  public Integer call() throws InterruptedException {
    String refusal = refusal(bind, authTokensFile != null, peerSecretFile != null, insecure);
    if (refusal == null && kafkaConfig != null && bootstrapServers == null) {
      refusal = "--kafka-config is for a cluster given by --bootstrap-servers; the embedded broker needs none";
    }
    Limits limits = null;
    try {
      limits = new Limits(maxBodyBytes, maxBatchEvents, maxIdLength, maxHeaderBytes, maxUnionCounters);
    } catch (IllegalArgumentException e) {
      refusal = refusal == null ? e.getMessage() : refusal;
    }
    if (refusal == null) {
      refusal = counting.refusal();
    }
    if (refusal == null && replicationFactor != null && (replicationFactor < 1
        || bootstrapServers == null && replicationFactor != 1)) {
      refusal = "--replication-factor must be 1 or more, and 1 for the embedded broker (one broker); got "
          + replicationFactor;
    }
    LogFormat format = switch (logFormat) {
      case "text" -> LogFormat.TEXT;
      case "json" -> LogFormat.JSON;
      default -> null;
    };
    if (refusal == null && format == null) {
      refusal = "--log-format is text or json, got " + logFormat;
    }
    if (refusal != null) {
      System.err.println("tally serve: " + refusal);
      return 2;
    }
    format.apply();
    NodeSettings settings = new NodeSettings(Optional.ofNullable(bootstrapServers), kafkaPort, host, port,
        internalPort != null ? internalPort : port == 0 ? 0 : port + 1000, bind, Optional.ofNullable(authTokensFile),
        dataDir, partitions, replicationFactor != null ? replicationFactor : bootstrapServers != null ? 3 : 1,
        applicationId, processingGuarantee, threads, counting.topology(),
        standbyReplicas != null ? standbyReplicas : bootstrapServers != null ? 1 : 0, streamsConfig,
        maxEventsPerSecondPerCounter, Optional.ofNullable(peerSecretFile),
        KafkaConfigFile.read(kafkaConfig), limits);
    TallyNode node = TallyNode.start(settings);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      notice(format, "tally: shutting down");
      node.close();
      stopped.countDown();
    }, "tally-shutdown"));
    notice(format, String.format("tally: serving http://%s:%d (Kafka at %s, data in %s). Ctrl-C stops.",
        host, node.httpPort(), node.bootstrapServers(), dataDir.toAbsolutePath().normalize()));
    stopped.await();
    return 0;
  }

  /** A line for whoever started the process: on stdout, or as a log line when logs are JSON. */
  private static void notice(LogFormat format, String line) {
    if (format == LogFormat.JSON) {
      log.info(line);
    } else {
      System.out.println(line);
    }
  }

  /**
   * Why {@code tally serve} must not start with these options, or null: bound beyond loopback it needs
   * tokens and a peer secret, or an explicit {@code --insecure}.
   */
  static String refusal(String bind, boolean tokens, boolean peerSecret, boolean insecure) {
    boolean loopback;
    try {
      loopback = InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return "cannot resolve --bind " + bind;
    }
    if (loopback || insecure || tokens && peerSecret) {
      return null;
    }
    return "--bind " + bind + " serves beyond this machine: give "
        + (tokens ? "" : "--auth-tokens-file FILE (lines TOKEN ROLE[,ROLE...], roles read, write, admin)")
        + (tokens || peerSecret ? "" : " and ")
        + (peerSecret ? "" : "--peer-secret-file FILE (one secret line, the same on every instance)")
        + ", or --insecure to serve without authentication";
  }
}
