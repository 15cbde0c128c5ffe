package dev.tally.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, combined broker and controller) running in this JVM, from Kafka's own
 * server classes. Its log lives under {@code dataDir}, formatted on first start the way
 * {@code kafka-storage format} does, and kept across restarts. Internal topics have replication factor 1.
 */
public final class EmbeddedBroker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final int NODE_ID = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaRaftServer server;
  private final String bootstrapServers;

  /**
   * A further listener on 127.0.0.1, e.g. SASL_SSL for a test of a secured cluster.
   *
   * @param name the listener's name, also in {@code listener.name.<name lower-case>.*} settings
   * @param protocol its security protocol
   * @param settings further broker settings it needs (SASL mechanisms, keystore), full names
   */
  public record Listener(String name, String protocol, int port, Map<String, String> settings) {}

  private EmbeddedBroker(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * Formats {@code dataDir} if it is new, starts the broker on {@code 127.0.0.1:port} (0: a free port) and
   * returns once it answers metadata requests.
   *
   * @param defaultPartitions partitions of topics created without an explicit count
   */
  public static EmbeddedBroker start(Path dataDir, int port, int defaultPartitions) {
    return start(dataDir, port, defaultPartitions, List.of());
  }

  /** As {@link #start(Path, int, int)}, with {@code extra} listeners beside the PLAINTEXT one. */
  public static EmbeddedBroker start(Path dataDir, int port, int defaultPartitions, List<Listener> extra) {
    int brokerPort = port == 0 ? Ports.free() : port;
    int controllerPort = Ports.free();
    Properties props = properties(dataDir, brokerPort, controllerPort, defaultPartitions);
    for (Listener listener : extra) {
      String endpoint = "," + listener.name() + "://127.0.0.1:" + listener.port();
      props.put("listeners", props.getProperty("listeners") + endpoint);
      props.put("advertised.listeners", props.getProperty("advertised.listeners") + endpoint);
      props.put("listener.security.protocol.map", props.getProperty("listener.security.protocol.map") + ","
          + listener.name() + ":" + listener.protocol());
      props.putAll(listener.settings());
    }
    KafkaConfig config = KafkaConfig.fromProps(props);
    format(config, dataDir);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    String bootstrap = "127.0.0.1:" + brokerPort;
    try {
      server.startup();
      awaitReady(bootstrap);
    } catch (RuntimeException e) {
      server.shutdown();
      server.awaitShutdown();
      throw e;
    }
    log.info("embedded Kafka broker ready at {} with data in {}", bootstrap, dataDir);
    return new EmbeddedBroker(server, bootstrap);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }

  private static Properties properties(Path dataDir, int brokerPort, int controllerPort, int defaultPartitions) {
    Properties props = new Properties();
    props.putAll(Map.ofEntries(
        Map.entry("process.roles", "broker,controller"),
        Map.entry("node.id", Integer.toString(NODE_ID)),
        Map.entry("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort),
        Map.entry("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort),
        Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort),
        Map.entry("controller.listener.names", "CONTROLLER"),
        Map.entry("inter.broker.listener.name", "PLAINTEXT"),
        Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
        Map.entry("log.dirs", dataDir.toAbsolutePath().toString()),
        Map.entry("num.partitions", Integer.toString(defaultPartitions)),
        Map.entry("auto.create.topics.enable", "false"),
        // One node: every internal topic must fit on it.
        Map.entry("offsets.topic.replication.factor", "1"),
        Map.entry("offsets.topic.num.partitions", "10"),
        Map.entry("transaction.state.log.replication.factor", "1"),
        Map.entry("transaction.state.log.min.isr", "1"),
        Map.entry("transaction.state.log.num.partitions", "10"),
        Map.entry("share.coordinator.state.topic.replication.factor", "1"),
        Map.entry("share.coordinator.state.topic.min.isr", "1"),
        Map.entry("default.replication.factor", "1"),
        Map.entry("min.insync.replicas", "1"),
        // A lone consumer group need not wait for more members to join.
        Map.entry("group.initial.rebalance.delay.ms", "0")));
    return props;
  }

  /** Writes meta.properties and the bootstrap metadata on first start; a formatted directory is kept. */
  private static void format(KafkaConfig config, Path dataDir) {
    if (Files.exists(dataDir.resolve("meta.properties"))) {
      return;
    }
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create broker data directory " + dataDir, e);
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(print)
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(dataDir.toAbsolutePath().toString()))
          .setMetadataLogDirectory(config.metadataLogDir())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.latestProduction())
          // Transactions v2 (Kafka 4's default) made this broker reject Streams' exactly-once batches with
          // OutOfOrderSequenceException at transaction starts, each costing a task migration; v1 does not.
          .setFeatureLevel("transaction.version", (short) 1)
          .setHasDynamicQuorum(false)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format broker storage in " + dataDir + ": " + e.getMessage(), e);
    }
    log.debug("storage format: {}", output.toString(StandardCharsets.UTF_8).strip());
  }

  private static void awaitReady(String bootstrap) {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis()))) {
      admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the broker", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("embedded broker at " + bootstrap + " did not become ready", e);
    }
  }
}
