package dev.tally.app;

import dev.tally.api.BearerAuth;
import dev.tally.api.HttpApi;
import dev.tally.api.HttpPeerClient;
import dev.tally.api.PeerSecret;
import dev.tally.ingest.Coalescer;
import dev.tally.ingest.CounterRateLimit;
import dev.tally.ingest.IngestService;
import dev.tally.ingest.ShardCounts;
import dev.tally.ingest.ShardPins;
import dev.tally.ingest.TallyProducer;
import dev.tally.query.CounterQueries;
import dev.tally.query.LocalStores;
import dev.tally.query.Readiness;
import dev.tally.query.Router;
import dev.tally.query.StoreCopies;
import dev.tally.topology.CounterTopology;
import dev.tally.topology.HeadStoreRocksDBConfig;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.TaskStores;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Tally instance: the embedded broker (unless joining a cluster), the topics, Kafka Streams,
 * the producer and the HTTP API, started in that order and closed in reverse.
 */
public final class TallyNode implements AutoCloseable {

  /**
   * {@code max.task.idle.ms}: a task counts what it has without waiting for its other inputs. Every
   * task reads {@code tally.backfill} beside {@code tally.increments}, and the backfill is nearly always
   * empty; with Kafka's default (0) Kafka Streams 4.4 formats a log line with {@code String.format} for
   * every empty input on every pass ({@code PartitionGroup.readyToProcess}), whether logged or not:
   * without it a Zipf backlog drained 1.28 times as fast (docs/benchmarks.md). Counting hardly depends on
   * the order of the two topics: sums and sketch unions commute, and only live events move stream time.
   */
  static final long COUNT_WITHOUT_WAITING = StreamsConfig.MAX_TASK_IDLE_MS_DISABLED;

  /**
   * The counting threads' fetches: the broker answers once 64 KB are there or 10 ms have passed, not at
   * the first record. With Kafka's default ({@code fetch.min.bytes=1}), an instance taking a few thousand
   * increments a second made a fetch, a poll loop and a wake-up of the broker per handful of records, on
   * the cores that its HTTP requests and the broker's produce requests wait for. Without that, a durable
   * increment's median at one client fell from 1.1 to 0.5-0.6 ms (docs/benchmarks.md). Under a backlog a
   * fetch fills at once, so counting never waits. The price: at low load a count shows about 5 ms later
   * (median), and so does a read with {@code ?after=}.
   */
  private static final Map<String, Object> COUNTING_FETCH = Map.of(
      StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 64 * 1024,
      StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 10);
  private static final Logger log = LoggerFactory.getLogger(TallyNode.class);
  private static final Duration STREAMS_CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration READ_RETRY_BUDGET = Duration.ofSeconds(2);
  private static final Duration PEER_TIMEOUT = Duration.ofSeconds(1);
  /**
   * How often Micrometer looks for Kafka metrics created since (per task, per store). Each look walks
   * every metric and copies sets per metric: over 100 MB of garbage each time on a node with two
   * stream threads, in a JFR allocation profile.
   */
  private static final Duration METRICS_REFRESH = Duration.ofSeconds(15);
  private static final Duration COPIES_REFRESH = Duration.ofMillis(250);
  private static final Duration PROGRESS_CHECK = Duration.ofSeconds(5);
  /** An instance whose tasks made no progress this long, with input waiting, is not ready. */
  private static final Duration STALL_AFTER = Duration.ofSeconds(60);
  /**
   * A dead instance's partitions move after this long without heartbeats. Kafka's 45 s default would keep
   * a killed instance's counters frozen for most of a minute; 10 s still allows three missed heartbeats.
   */
  private static final String SESSION_TIMEOUT_MS = "10000";

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private String bootstrapServers;
  private KafkaStreams streams;
  private HttpApi http;

  private TallyNode() {}

  /** Starts every part; if one fails, the parts already started are closed again. */
  public static TallyNode start(NodeSettings settings) {
    TallyNode node = new TallyNode();
    try {
      node.startParts(settings);
      return node;
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  private void startParts(NodeSettings settings) {
    // Read first: a bad tokens file stops the start before anything else is up.
    BearerAuth auth = settings.authTokensFile().map(BearerAuth::fromFile).orElse(BearerAuth.off());
    PeerSecret peerSecret = settings.peerSecretFile().map(PeerSecret::fromFile).orElse(PeerSecret.none());
    TallyConfig config;
    if (settings.bootstrapServers().isPresent()) {
      bootstrapServers = settings.bootstrapServers().get();
    } else {
      EmbeddedBroker broker = EmbeddedBroker.start(
          settings.dataDir().resolve("kafka"), settings.kafkaPort(), settings.partitions());
      started.push(broker);
      bootstrapServers = broker.bootstrapServers();
    }
    Map<String, Object> kafka = new HashMap<>(settings.kafkaConfig());
    kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(kafka)) {
      TallyTopics.ensure(admin, settings.topology(), settings.partitions(), settings.replicationFactor());
      // As the topic has it, which on a cluster may differ from --partitions.
      config = settings.topology().withIncrementsPartitions(
          TallyTopics.partitions(admin, settings.topology().incrementsTopic()));
    }

    int httpPort = settings.httpPort() == 0 ? Ports.free() : settings.httpPort();
    int internalPort = settings.internalPort() == 0 ? Ports.free() : settings.internalPort();
    TaskStores taskStores = new TaskStores();
    streams = new KafkaStreams(CounterTopology.build(config, taskStores),
        streamsProperties(settings, kafka, httpPort, internalPort));
    streams.setUncaughtExceptionHandler(e -> {
      log.error("Kafka Streams thread failed; shutting the Streams client down", e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    // Leave the group on a clean stop, so the next start (or the other instances) need not wait out the
    // session timeout before the partitions are reassigned.
    started.push(() -> streams.close(CloseOptions.timeout(STREAMS_CLOSE_TIMEOUT)
        .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)));
    // Registered before start: a copy must never answer from before its restore began (StoreCopies).
    StoreCopies copies = new StoreCopies(() -> StoreCopies.lagsOf(streams), Clock.systemUTC());
    streams.setGlobalStateRestoreListener(copies);
    streams.setStandbyUpdateListener(copies);
    HostInfo self = new HostInfo(settings.host(), internalPort);
    LocalStores local = new LocalStores(streams, copies, self, Clock.systemUTC(), config.incrementsPartitions(),
        taskStores);
    // Where keys live changes only in a rebalance, which moves the client's state.
    streams.setStateListener((next, previous) -> local.forgetMetadata());
    streams.start();
    Admin watchAdmin = Admin.create(kafka);
    started.push(watchAdmin);
    ProgressWatch progress = new ProgressWatch(STALL_AFTER, System::currentTimeMillis);
    // Two threads: a progress check waiting on an unreachable broker must not hold up the lag snapshots.
    ScheduledExecutorService watch = Executors.newScheduledThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "tally-watch");
      thread.setDaemon(true);
      return thread;
    });
    started.push(watch::shutdownNow);
    watch.scheduleWithFixedDelay(copies::refresh, 0, COPIES_REFRESH.toMillis(), TimeUnit.MILLISECONDS);
    watch.scheduleWithFixedDelay(() -> progress.check(streams, self, watchAdmin, settings.applicationId(),
        config.incrementsTopic()), PROGRESS_CHECK.toMillis(), PROGRESS_CHECK.toMillis(), TimeUnit.MILLISECONDS);

    ShardCounts shardCounts = new ShardCounts(kafka, config.shardConfigTopic());
    started.push(shardCounts);
    // No linger: a lone increment is sent at once. Under load, records batch while the request before them
    // is in flight, one at a time, so that concurrent increments leave together and not in five requests
    // of a few records; the broker handles one request per connection at a time anyway (durable
    // increments at 64 clients: a median +14% over seven alternations, docs/benchmarks.md). A hot
    // counter's increments merge in the coalescer first.
    Map<String, Object> producerSettings = new HashMap<>(kafka);
    producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producerSettings.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    TallyProducer producer = new TallyProducer(producerSettings, config.incrementsTopic(), shardCounts::of);
    started.push(producer);
    Coalescer coalescer = new Coalescer(producer, Coalescer.DEFAULT_INTERVAL);
    started.push(coalescer);
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    CounterRateLimit rateLimit = new CounterRateLimit(settings.maxEventsPerSecondPerCounter(), Clock.systemUTC(),
        counter -> Counter.builder("tally.ingest.rate.limited").tag("counter", counter)
            .description("events refused at ingest for their counter's events-per-second limit")
            .register(metrics).increment());
    IngestService ingest = new IngestService(coalescer, event -> producer.sendTo(config.backfillTopic(), event),
        Clock.systemUTC(), SEND_TIMEOUT, config, rateLimit, settings.limits());
    Router router = new Router(local, new HttpPeerClient(config, PEER_TIMEOUT, peerSecret), READ_RETRY_BUDGET);
    CounterQueries queries = new CounterQueries(streams, router, config, Clock.systemUTC(), READ_RETRY_BUDGET,
        settings.limits().maxUnionCounters());
    ShardPins pins = new ShardPins(kafka, config.shardConfigTopic(),
        counter -> Math.max(queries.shards(counter), shardCounts.of(counter)), Clock.systemUTC());
    started.push(pins);
    shardCounts.onLowered(pins::reassert);
    ScheduledExecutorService metricsRefresh = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "tally-metrics-refresh");
      thread.setDaemon(true);
      return thread;
    });
    started.push(metricsRefresh::shutdownNow);
    // Kafka creates some metrics (Tally's own sensors among them) only once tasks run: look again.
    KafkaStreamsMetrics streamsMetrics =
        new KafkaStreamsMetrics(streams, List.of(), metricsRefresh, METRICS_REFRESH);
    streamsMetrics.bindTo(metrics);
    started.push(streamsMetrics);
    new JvmMemoryMetrics().bindTo(metrics);
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(metrics);
    started.push(gcMetrics);
    new ProcessorMetrics().bindTo(metrics);
    FunctionCounter.builder("tally.ingest.unacknowledged.failed", ingest, IngestService::unacknowledgedFailures)
        .description("events answered before Kafka acknowledged them (Prefer: respond-async) that Kafka refused")
        .register(metrics);
    http = new HttpApi(ingest, pins, queries, router, config, metrics,
        () -> new Readiness(streams.state(), progress.stalled()), auth, peerSecret,
        settings.limits());
    started.push(http);
    http.start(settings.bind(), httpPort, internalPort);
  }

  /**
   * Other instances reach this one at {@code application.server}: its internal port. The client
   * settings in {@code kafka} (bootstrap servers, security) apply to every client Streams creates.
   */
  private Properties streamsProperties(NodeSettings settings, Map<String, Object> kafka, int httpPort,
      int internalPort) {
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, settings.host() + ":" + internalPort);
    props.put(StreamsConfig.STATE_DIR_CONFIG, settings.dataDir().resolve("streams").toAbsolutePath().toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, settings.processingGuarantee());
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.streamThreads());
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    // The only deserializer in the topology reads tally.shard-config, which any client can write: a bad
    // record there is logged and skipped, never a reason to stop counting. (Increments are decoded by
    // the counting processor itself, which sends what it cannot read to the DLQ.)
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.standbyReplicas());
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
    // Static membership: an instance that restarts within the session timeout (a crash, a rolling
    // restart) takes back its own partitions without a rebalance. A clean stop still leaves the group.
    // The id allows only [A-Za-z0-9._-]; host and port make it unique, as application.server is.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
        (settings.host() + "-" + httpPort).replaceAll("[^A-Za-z0-9._-]", "_"));
    props.putAll(countingSettings(settings.processingGuarantee()));
    // Changelogs and repartition topics as durable as Tally's own topics, not the cluster's default.
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, settings.replicationFactor());
    props.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG),
        NodeSettings.minInSyncReplicas(settings.replicationFactor()));
    props.putAll(settings.streamsOverrides());
    return props;
  }

  /**
   * The Kafka Streams settings of the counting engine itself, the same for every node and for the bench
   * that measures it: transactional stores under exactly-once, no waiting for the backfill topic, the
   * counting fetch, and the head stores' RocksDB settings.
   */
  public static Map<String, Object> countingSettings(String processingGuarantee) {
    Map<String, Object> counting = new HashMap<>(COUNTING_FETCH);
    // KIP-892 transactional state stores. Without them, exactly-once treats a store that has data but
    // no committed offset as corrupt and wipes it; a task whose directory moves between threads, or a
    // standby closed before its first checkpoint, then meets that check again on every re-initialization
    // and loops through TaskCorruptedException (KAFKA-9727, KAFKA-9891, KAFKA-10166). With them, a store
    // holds only committed writes, with their changelog offsets, so it is never wiped for that reason,
    // and a kill -9 restores only the tail of the changelog instead of all of it.
    counting.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG,
        StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee));
    counting.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, COUNT_WITHOUT_WAITING);
    counting.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, HeadStoreRocksDBConfig.class);
    return counting;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Whether its Kafka Streams client is {@code RUNNING}: every task assigned and restored. */
  public boolean running() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /** The public HTTP routes, as {@code METHOD PATH}. */
  public List<String> httpRoutes() {
    return http.routes();
  }

  public int httpPort() {
    return http.port();
  }

  /** The port of the internal endpoints, which the other instances call. */
  public int internalPort() {
    return http.internalPort();
  }

  /** Closes what was started, newest first; a failure to close one part does not keep the others open. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        log.warn("failed to close {}", part, e);
      }
    }
  }
}
