package dev.tally.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tally.app.NodeSettings;
import dev.tally.app.Ports;
import dev.tally.app.TallyCommand;
import dev.tally.app.TallyNode;
import dev.tally.app.TallyTopics;
import dev.tally.ingest.Coalescer;
import dev.tally.ingest.EventSender;
import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.Limits;
import dev.tally.schemas.ShardKeys;
import dev.tally.topology.CounterTopology;
import dev.tally.topology.PnCounter;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TallyConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import picocli.CommandLine;

/**
 * One run, one machine, one table: Kafka's own produce and consume ceiling, then Tally's counted events/s
 * for each workload under exactly-once and at-least-once as a ratio to that ceiling, read latency (local
 * and forwarded), freshness and footprint. Output: a table on stdout, {@code bench/results/latest.json}
 * and a plot. {@code --quick} runs exactly-once only (no at-least-once or drain runs), counts a
 * quarter of the events on the slow workloads and shortens the read phases.
 */
public final class TallyBench {

  private static final int PARTITIONS = 6;
  private static final int STREAM_THREADS = 2;
  private static final int CEILING_WARMUP = 500_000;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final boolean quick;
  private final int events;
  private final Path work;
  private final BrokerProcess broker;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<String> table = new ArrayList<>();

  /** Workloads to run (all when empty), from {@code --only hot,zipf,...}. */
  private final Set<Workload> only;
  private final boolean skipReads;
  private final boolean skipImport;
  /** Set during {@link #warmUp}, whose run records no footprint. */
  private boolean warmingUp;
  /** Streams' commit interval in the counting runs, from {@code --commit-interval-ms} (100 unless given). */
  private final int commitIntervalMs;

  private TallyBench(boolean quick, int events, Set<Workload> only, boolean skipReads, boolean skipImport,
      int commitIntervalMs, Path work, BrokerProcess broker) {
    this.quick = quick;
    this.events = events;
    this.only = only;
    this.skipReads = skipReads;
    this.skipImport = skipImport;
    this.commitIntervalMs = commitIntervalMs;
    this.work = work;
    this.broker = broker;
  }

  /**
   * {@code [--quick] [--events N] [--only WORKLOAD,...] [--skip-reads] [--skip-import] [--commit-interval-ms N]
   * [OUT_DIR]};
   * workloads by their lower-case names ({@code hot}, {@code zipf}, {@code uniform}, {@code uniques}, ...).
   */
  public static void main(String[] args) throws Exception {
    List<String> options = Arrays.asList(args);
    boolean quick = options.contains("--quick");
    int events = option(options, "--events").map(Integer::parseInt).orElse(2_000_000);
    Set<Workload> only = option(options, "--only").stream()
        .flatMap(list -> Arrays.stream(list.split(",")))
        .map(name -> Workload.valueOf(name.trim().toUpperCase()))
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Workload.class)));
    boolean skipReads = options.contains("--skip-reads");
    boolean skipImport = options.contains("--skip-import");
    Path out = Path.of(args.length > 0 && !args[args.length - 1].startsWith("--") ? args[args.length - 1]
        : "bench/results");
    Path work = Files.createTempDirectory("tally-bench");
    try (BrokerProcess broker = BrokerProcess.start(work.resolve("broker"), PARTITIONS)) {
      TallyBench bench = new TallyBench(quick, events, only, skipReads, skipImport,
          option(options, "--commit-interval-ms").map(Integer::parseInt).orElse(100), work, broker);
      bench.run();
      bench.write(out);
    } finally {
      Utils.delete(work.toFile());
    }
  }

  private static Optional<String> option(List<String> options, String name) {
    int at = options.indexOf(name);
    return at >= 0 && at + 1 < options.size() ? Optional.of(options.get(at + 1)) : Optional.empty();
  }

  private void run() throws Exception {
    results.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
        "maxHeapMb", Runtime.getRuntime().maxMemory() >> 20, "java", System.getProperty("java.version")));
    results.put("events", events);
    results.put("settings", Map.of("partitions", PARTITIONS, "streamThreads", STREAM_THREADS,
        "commitIntervalMs", commitIntervalMs, "recordCache", "off (statestore.cache.max.bytes=0)",
        "producer", "acks=all, idempotent, linger.ms=5, batch.size=64KB, no compression",
        "broker", "single-node KRaft in its own process (tally broker, 1 GB heap)"));

    double[] ceiling = ceiling();
    double produce = ceiling[0];
    table.add(String.format("%-34s %12s %8s", "what", "events/s", "ratio"));
    table.add(String.format("%-34s %,12.0f %8.2f", "produce ceiling (plain producer)", produce, 1.0));
    table.add(String.format("%-34s %,12.0f %8s", "consume ceiling (plain consumer)", ceiling[1], "-"));

    warmUp();
    Map<String, Object> counted = new LinkedHashMap<>();
    Map<String, Object> drained = new LinkedHashMap<>();
    for (Workload workload : Workload.values()) {
      if (!only.isEmpty() && !only.contains(workload)) {
        continue;
      }
      for (String guarantee : List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)) {
        boolean variant = workload == Workload.HOT_SHARDED || workload == Workload.HOT_COALESCED
            || workload == Workload.UNIFORM_NO_WINDOWS || workload == Workload.ZIPF_IDS;
        if ((variant || quick) && guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
          continue;
        }
        double[] rate = counted(workload, guarantee, false);
        String name = workload.name().toLowerCase() + " / " + guarantee;
        counted.put(name, Map.of("eventsPerSecond", Math.round(rate[0]), "ratioToProduceCeiling", rate[0] / produce,
            "changelogRecordsPerEvent", rate[1]));
        table.add(String.format("%-34s %,12.0f %8.2f   changelog records/event %.4f", "counted: " + name, rate[0],
            rate[0] / produce, rate[1]));
      }
      if (workload != Workload.HOT_COALESCED && !quick) {
        // The engine alone: a backlog produced beforehand, against a plain consumer of the same topic.
        double[] rate = counted(workload, StreamsConfig.EXACTLY_ONCE_V2, true);
        String name = workload.name().toLowerCase() + " / " + StreamsConfig.EXACTLY_ONCE_V2;
        drained.put(name, Map.of("eventsPerSecond", Math.round(rate[0]), "ratioToConsumeCeiling", rate[0] / ceiling[1]));
        table.add(String.format("%-34s %,12.0f %8.2f   (ratio to the consume ceiling)", "drained: " + name, rate[0],
            rate[0] / ceiling[1]));
      }
    }
    results.put("counted", counted);
    results.put("drained", drained);
    if (!skipImport) {
      importAndReplay(produce, ceiling[1]);
    }
    if (!skipReads) {
      reads();
    }
  }

  /**
   * Issue 15, as a user runs them: {@code tally import} of an NDJSON file of {@code events} events (Zipf
   * counters), timed to the last acknowledgement, against the produce ceiling; then {@code tally replay}
   * of what it wrote under a new application id, timed from the command's start (a node starting, two
   * stream threads) to caught up, against the consume ceiling.
   */
  private void importAndReplay(double produce, double consume) throws Exception {
    long hour = Duration.ofHours(1).toMillis();
    try (Admin admin = admin()) {
      TallyTopics.ensure(admin, TallyConfig.defaults(), PARTITIONS, 1);
    }
    Path file = work.resolve("import.ndjson");
    Workload.Generator generator = Workload.ZIPF.generator(7);
    // History of the last hour, in time order.
    long now = System.currentTimeMillis();
    try (BufferedWriter writer = Files.newBufferedWriter(file)) {
      for (int i = 0; i < events; i++) {
        writer.write("{\"counter\":\"" + Workload.name(Workload.ZIPF, generator.nextCounter())
            + "\",\"delta\":1,\"eventTime\":" + (now - hour + i * hour / events) + "}\n");
      }
    }
    String bootstrap = broker.bootstrapServers();
    long start = System.nanoTime();
    int exit = new CommandLine(new TallyCommand()).execute("import", file.toString(), "--bootstrap-servers", bootstrap);
    double imported = events / seconds(start);
    if (exit != 0) {
      throw new IllegalStateException("tally import exited with " + exit);
    }
    start = System.nanoTime();
    exit = new CommandLine(new TallyCommand()).execute("replay", "--replication-factor", "1", "--application-id", "bench-replay-" + UUID.randomUUID(),
        "--bootstrap-servers", bootstrap, "--data-dir", work.resolve("replay").toString(),
        "--threads", Integer.toString(STREAM_THREADS), "--partitions", Integer.toString(PARTITIONS));
    double replayed = events / seconds(start);
    if (exit != 0) {
      throw new IllegalStateException("tally replay exited with " + exit);
    }
    // The read nodes that follow count tally.increments from its start: leave them nothing of this.
    try (Admin admin = admin()) {
      Map<TopicPartition, RecordsToDelete> all = new HashMap<>();
      admin.listOffsets(partitions(TallyConfig.INCREMENTS_TOPIC).stream()
              .collect(Collectors.toMap(partition -> partition, partition -> OffsetSpec.latest())))
          .all().get().forEach((partition, end) -> all.put(partition, RecordsToDelete.beforeOffset(end.offset())));
      admin.deleteRecords(all).all().get();
    }
    results.put("import", Map.of("eventsPerSecond", Math.round(imported), "ratioToProduceCeiling", imported / produce));
    results.put("replay", Map.of("eventsPerSecond", Math.round(replayed), "ratioToConsumeCeiling", replayed / consume));
    table.add(String.format("%-34s %,12.0f %8.2f   (ratio to the produce ceiling)", "tally import (NDJSON, zipf)",
        imported, imported / produce));
    table.add(String.format("%-34s %,12.0f %8.2f   (ratio to the consume ceiling)", "tally replay (zipf, from start)",
        replayed, replayed / consume));
  }

  /** Plain producer and consumer on a topic of the same records: what Kafka itself does here. */
  private double[] ceiling() throws Exception {
    String topic = "bench.ceiling." + UUID.randomUUID();
    createTopic(topic);
    IncrementEventSerde serde = new IncrementEventSerde();
    Workload.Generator generator = Workload.UNIFORM.generator(1);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      IncrementEvent event = generator.event(generator.nextCounter(), Instant.now());
      keys.add(event.getCounter().getBytes(StandardCharsets.UTF_8));
      values.add(serde.encode(event));
    }
    double produce;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings(),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      // Warm up first (JIT, connections, the broker's log): a cold producer measured on 100,000 records
      // ran at a tenth of its speed and made quick ratios five times too high.
      for (int i = 0; i < CEILING_WARMUP; i++) {
        producer.send(new ProducerRecord<>(topic, keys.get(i % keys.size()), values.get(i % values.size())));
      }
      producer.flush();
      long start = System.nanoTime();
      for (int i = 0; i < events; i++) {
        producer.send(new ProducerRecord<>(topic, keys.get(i % keys.size()), values.get(i % values.size())));
      }
      producer.flush();
      produce = events / seconds(start);
    }
    long start;
    start = System.nanoTime();
    long read = 0;
    long toRead = CEILING_WARMUP + (long) events;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = partitions(topic);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (read < toRead) {
        read += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
    double consume = toRead / seconds(start);
    results.put("ceiling", Map.of("produceEventsPerSecond", Math.round(produce),
        "consumeEventsPerSecond", Math.round(consume), "recordBytes", values.get(0).length));
    return new double[] {produce, consume};
  }

  /**
   * Untimed exactly-once runs of the uniform workload before the timed ones, as the ceiling warms
   * up its producer first. Without them the first timed workload (uniform) ran cold, in this JVM and in
   * the broker's: 39,000-43,000 events/s exactly-once against 76,000 after a warm-up of its own size;
   * a warm-up of a tenth of that did not help. Two such runs, not one: after one, three timed
   * exactly-once uniform runs in a row counted 121,793, then 136,500 and 137,093 events/s.
   */
  private void warmUp() throws Exception {
    warmingUp = true;
    try {
      for (int run = 0; run < 2; run++) {
        counted(Workload.UNIFORM, StreamsConfig.EXACTLY_ONCE_V2, false);
      }
    } finally {
      warmingUp = false;
    }
  }

  /**
   * Starts the topology on an empty topic, then produces {@code events} through TallyProducer and times
   * from the first send until every offset is committed; checks a sample of totals. With {@code drain},
   * produces the events first and times from the topology's start ({@code RUNNING}) to the last commit:
   * the engine without a producer sharing its CPU.
   */
  private double[] counted(Workload workload, String guarantee, boolean drain) throws Exception {
    String run = workload.name().toLowerCase() + "-" + guarantee.replace('_', '-') + (drain ? "-drain-" : "-")
        + UUID.randomUUID();
    String topic = "bench.increments." + run;
    String shardTopic = "bench.shard-config." + run;
    createTopic(topic);
    createTopic(shardTopic);
    TallyConfig defaults = TallyConfig.defaults();
    TallyConfig withTopics = new TallyConfig(topic, "bench.dlq." + run, defaults.tiers(),
        defaults.hoppingWindows(), defaults.grace(), defaults.maxFutureSkew(), defaults.uniqueTiers(),
        defaults.hllLgK(), shardTopic, Double.MAX_VALUE, PARTITIONS, defaults.dedupeHorizon(),
        "bench.backfill." + run);
    TallyConfig config = workload == Workload.UNIFORM_NO_WINDOWS ? withTopics.withoutWindows() : withTopics;
    createTopic(config.dlqTopic());
    createTopic(config.backfillTopic());
    Path state = work.resolve("state-" + run);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench-" + run);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    // Without it queryMetadataForKey has no partition to give; nothing listens there.
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "localhost:1");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, STREAM_THREADS);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    // The engine's own settings, as every node sets them.
    props.putAll(TallyNode.countingSettings(guarantee));

    int[] expected = new int[workload.counters()];
    int shards = workload == Workload.HOT_SHARDED ? 16 : 1;
    // Made (and connected) before the timer starts, as the ceiling's producer is.
    try (TallyProducer producer = new TallyProducer(producerSettings(), topic, counter -> shards);
        KafkaStreams streams = new KafkaStreams(CounterTopology.build(config), props)) {
      if (drain) {
        produce(workload, producer, expected);
      }
      streams.start();
      awaitRunning(streams);
      long start = System.nanoTime();
      if (!drain) {
        produce(workload, producer, expected);
      }
      awaitCommitted("bench-" + run, topic);
      double rate = eventsFor(workload) / seconds(start);
      double changelogRecords = changelogRecords("bench-" + run) / (double) eventsFor(workload);
      verify(streams, workload, expected, shards);
      streams.close(Duration.ofSeconds(30));
      // Measured after close, when RocksDB has flushed its memtables to files.
      if (workload == Workload.UNIFORM && guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !drain && !warmingUp) {
        footprint(state, "bench-" + run, distinct(expected));
      }
      if (workload == Workload.UNIQUES && guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !drain) {
        long sketches = changelogBytes("bench-" + run, StoreNames.UNIQUES_ALL);
        results.put("bytesPerAllTimeSketchInChangelog", sketches / Math.max(1, distinct(expected)));
      }
      return new double[] {rate, changelogRecords};
    }
  }

  /**
   * The events a run of {@code workload} counts. A quick run takes a quarter on the slow workloads only:
   * the ceiling and the fast workloads need the full count to reach their steady rate (at 100,000
   * events one hot counter was counted in a quarter of a second, and the fixed cost of a run made its
   * ratio seven times too low; a produce ceiling over 500,000 records came out at half of one over
   * 2,000,000).
   */
  private int eventsFor(Workload workload) {
    boolean slow = workload == Workload.UNIFORM || workload == Workload.UNIFORM_NO_WINDOWS
        || workload == Workload.UNIQUES;
    return quick && slow ? events / 4 : events;
  }

  /** Sends the events of {@code workload} through TallyProducer, noting each counter's count. */
  private void produce(Workload workload, TallyProducer producer, int[] expected) throws Exception {
    Workload.Generator generator = workload.generator(42);
    Instant now = Instant.now();
    EventSender sender = workload == Workload.HOT_COALESCED
        ? new Coalescer(producer, Coalescer.DEFAULT_INTERVAL) : producer;
    List<CompletableFuture<?>> last = new ArrayList<>();
    for (int i = 0; i < eventsFor(workload); i++) {
      int counter = generator.nextCounter();
      expected[counter]++;
      CompletableFuture<?> sent = sender.send(generator.event(counter, now));
      if (i % 10_000 == 0) {
        last.add(sent);
      }
    }
    if (sender instanceof Coalescer coalescer) {
      coalescer.close();
    }
    CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
  }

  /** Records written to the changelog topics of {@code applicationId}: their end offsets, summed. */
  private long changelogRecords(String applicationId) throws Exception {
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      for (String topic : admin.listTopics().names().get()) {
        if (topic.startsWith(applicationId + "-") && topic.endsWith("-changelog")) {
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
              .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        }
      }
      return admin.listOffsets(latest).all().get().values().stream().mapToLong(info -> info.offset()).sum();
    }
  }

  /** Totals of a sample of counters (all shards summed) equal what was sent. */
  private void verify(KafkaStreams streams, Workload workload, int[] expected, int shards) throws InterruptedException {
    for (int counter = 0; counter < Math.min(expected.length, 500); counter++) {
      long total = 0;
      for (int shard = 0; shard < shards; shard++) {
        total += total(streams, ShardKeys.of(Workload.name(workload, counter), shard));
      }
      if (total != expected[counter]) {
        throw new IllegalStateException(workload + ": counter " + counter + " is " + total + ", expected "
            + expected[counter]);
      }
    }
  }

  /** A shard key's total in the local stores, waiting out a rebalance. */
  private static long total(KafkaStreams streams, String key) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      int partition = streams.queryMetadataForKey(StoreNames.COUNTER_TOTALS, key, new StringSerializer()).partition();
      QueryResult<PnCounter> result = streams.query(StateQueryRequest.inStore(StoreNames.COUNTER_TOTALS)
          .withQuery(KeyQuery.<String, PnCounter>withKey(key)).withPartitions(Set.of(partition)))
          .getPartitionResults().get(partition);
      if (result != null && result.isSuccess()) {
        return result.getResult() == null ? 0 : result.getResult().total();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cannot read " + key + ": " + (result == null ? "no result" : result));
      }
      Thread.sleep(100);
    }
  }

  /** Read latency local and forwarded, and freshness, on two real Tally instances (and one at-least-once). */
  private void reads() throws Exception {
    String applicationId = "bench-reads-" + UUID.randomUUID();
    List<TallyNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        nodes.add(TallyNode.start(new NodeSettings(Optional.of(broker.bootstrapServers()), 0, "localhost",
            Ports.free(), Ports.free(), "127.0.0.1", Optional.empty(), work.resolve("reads-" + i), PARTITIONS, 1, applicationId, StreamsConfig.EXACTLY_ONCE_V2,
            1, TallyConfig.defaults(), 1, Map.of(), 0, Optional.empty(), Map.of(),
            Limits.DEFAULTS)));
      }
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://localhost:" + nodes.get(0).httpPort();
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < 2_000; i++) {
        batch.append(String.format("{\"counter\":\"r%d\",\"item\":\"v%d\"}%n", i, i % 300));
      }
      post(http, base + "/v1/events", batch.toString());
      awaitReady(http, "http://localhost:" + nodes.get(1).httpPort());
      Set<Integer> local = localPartitions(http, base);
      List<String> localCounters = new ArrayList<>();
      List<String> remoteCounters = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        String counter = "r" + i;
        int partition = Utils.toPositive(Utils.murmur2(counter.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
        (local.contains(partition) ? localCounters : remoteCounters).add(counter);
      }
      Map<String, Object> latency = new LinkedHashMap<>();
      int rate = 200;
      Duration phase = quick ? Duration.ofSeconds(3) : Duration.ofSeconds(20);
      for (String kind : List.of("point", "window", "unique")) {
        for (String where : List.of("local", "forwarded")) {
          List<String> counters = where.equals("local") ? localCounters : remoteCounters;
          String suffix = switch (kind) {
            case "point" -> "";
            case "window" -> "/last?window=PT15M";
            default -> "/uniques?window=P1D";
          };
          long[] nanos = timedReads(http, base, counters, suffix, rate, phase);
          latency.put(kind + " " + where, percentiles(nanos, rate));
          table.add(String.format("%-34s p50 %6.2f ms  p99 %6.2f ms  p99.9 %6.2f ms  (%d reads at %d/s, 1 client)",
              "read " + kind + " " + where, ms(nanos, 0.5), ms(nanos, 0.99), ms(nanos, 0.999), nanos.length, rate));
        }
      }
      results.put("readLatency", latency);
      results.put("freshnessExactlyOnce", freshness(http, nodes.get(0), "fresh-eos"));
    } finally {
      nodes.forEach(TallyNode::close);
    }
    try (TallyNode alos = TallyNode.start(new NodeSettings(Optional.of(broker.bootstrapServers()), 0, "localhost",
        Ports.free(), Ports.free(), "127.0.0.1", Optional.empty(), work.resolve("reads-alos"), PARTITIONS, 1, "bench-alos-" + UUID.randomUUID(),
        StreamsConfig.AT_LEAST_ONCE, 1, TallyConfig.defaults(), 0, Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"), 0,
        Optional.empty(), Map.of(), Limits.DEFAULTS))) {
      awaitReady(HttpClient.newHttpClient(), "http://localhost:" + alos.httpPort());
      results.put("freshnessAtLeastOnce", freshness(HttpClient.newHttpClient(), alos, "fresh-alos"));
    }
  }

  /** Time from the producer's acknowledgement to the count being visible over HTTP. */
  private Map<String, Object> freshness(HttpClient http, TallyNode node, String counter) throws Exception {
    int samples = quick ? 50 : 200;
    long[] nanos = new long[samples];
    String base = "http://localhost:" + node.httpPort();
    try (TallyProducer producer = new TallyProducer(producerSettings(), TallyConfig.INCREMENTS_TOPIC, c -> 1)) {
      for (int i = 0; i < samples; i++) {
        producer.send(IncrementEvent.newBuilder().setCounter(counter).setDelta(1).setEventTime(Instant.now())
            .build()).get();
        long acked = System.nanoTime();
        while (total(http, base + "/v1/counters/" + counter) < i + 1) {
          Thread.onSpinWait();
        }
        nanos[i] = System.nanoTime() - acked;
      }
    }
    Arrays.sort(nanos);
    String name = counter.equals("fresh-eos") ? "exactly_once_v2" : "at_least_once";
    table.add(String.format("%-34s p50 %6.1f ms  p99 %6.1f ms  (%d samples)", "freshness " + name,
        ms(nanos, 0.5), ms(nanos, 0.99), samples));
    return Map.of("p50Ms", ms(nanos, 0.5), "p99Ms", ms(nanos, 0.99), "samples", samples);
  }

  private long[] timedReads(HttpClient http, String base, List<String> counters, String suffix, int rate,
      Duration phase) throws Exception {
    int count = (int) (rate * phase.toSeconds());
    long[] nanos = new long[count];
    long start = System.nanoTime();
    long interval = 1_000_000_000L / rate;
    for (int i = 0; i < count; i++) {
      long due = start + i * interval;
      while (System.nanoTime() < due) {
        Thread.onSpinWait();
      }
      String counter = counters.get(i % counters.size());
      long sent = System.nanoTime();
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/counters/" + counter + suffix))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      nanos[i] = System.nanoTime() - sent;
      if (response.statusCode() != 200) {
        throw new IllegalStateException(counter + suffix + " answered " + response.statusCode() + " " + response.body());
      }
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private void footprint(Path state, String applicationId, int counters) throws IOException {
    long rocks = size(state);
    long changelogs = changelogBytes(applicationId, "");
    results.put("footprint", Map.of("rocksDbBytesPerCounter", rocks / counters,
        "changelogBytesPerCounter", changelogs / counters, "stores", "totals, 3 count tiers, stream-time"));
    table.add(String.format("%-34s RocksDB %d B, changelogs %d B per counter (uniform, %,d counters)",
        "footprint", rocks / counters, changelogs / counters, counters));
  }

  private long changelogBytes(String applicationId, String store) throws IOException {
    try (Stream<Path> dirs = Files.list(work.resolve("broker"))) {
      long total = 0;
      for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(applicationId + "-" + store)
          && d.getFileName().toString().contains("-changelog-")).toList()) {
        total += size(dir);
      }
      return total;
    }
  }

  private static long size(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(file -> {
        try {
          return Files.size(file);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }

  private void write(Path out) throws IOException {
    Files.createDirectories(out);
    results.put("table", table);
    JSON.writeValue(out.resolve("latest.json").toFile(), results);
    Plot.ratios(results, out.resolve("latest.png"));
    System.out.println();
    table.forEach(System.out::println);
    System.out.println();
    System.out.println("written: " + out.resolve("latest.json") + ", " + out.resolve("latest.png"));
  }

  private Map<String, Object> producerSettings() {
    return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
  }

  private void createTopic(String topic) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
    }
  }

  private List<TopicPartition> partitions(String topic) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    return partitions;
  }

  private void awaitCommitted(String group, String topic) throws Exception {
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
      partitions(topic).forEach(p -> latest.put(p, OffsetSpec.latest()));
      Map<TopicPartition, Long> end = new LinkedHashMap<>();
      admin.listOffsets(latest).all().get().forEach((p, info) -> end.put(p, info.offset()));
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        boolean done = end.entrySet().stream().allMatch(e -> e.getValue() == 0 || (committed.get(e.getKey()) != null
            && committed.get(e.getKey()).offset() >= e.getValue()));
        if (done) {
          return;
        }
        Thread.sleep(50);
      }
    }
  }

  private Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  private static void awaitRunning(KafkaStreams streams) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Streams did not start: " + streams.state());
      }
      Thread.sleep(50);
    }
  }

  private static void awaitReady(HttpClient http, String base) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(base + " is not ready");
      }
      Thread.sleep(100);
    }
  }

  private static Set<Integer> localPartitions(HttpClient http, String base) throws Exception {
    Set<Integer> partitions = new HashSet<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (partitions.isEmpty() || partitions.size() == PARTITIONS) {
      partitions.clear();
      JsonNode instances = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/instances")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      for (JsonNode instance : instances) {
        if (instance.get("self").asBoolean()) {
          for (JsonNode partition : instance.get("activePartitions")) {
            String name = partition.asText();
            if (name.startsWith(TallyConfig.INCREMENTS_TOPIC + "-")) {
              partitions.add(Integer.parseInt(name.substring(name.lastIndexOf('-') + 1)));
            }
          }
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("partitions were not shared between the two instances: " + partitions);
      }
      Thread.sleep(200);
    }
    return partitions;
  }

  private static void post(HttpClient http, String url, String body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException(url + " answered " + response.statusCode() + " " + response.body());
    }
  }

  private static long total(HttpClient http, String url) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode() == 200 ? JSON.readTree(response.body()).get("total").asLong() : -1;
  }

  private static Map<String, Object> percentiles(long[] sorted, int rate) {
    return Map.of("p50Ms", ms(sorted, 0.5), "p99Ms", ms(sorted, 0.99), "p999Ms", ms(sorted, 0.999),
        "requests", sorted.length, "requestsPerSecond", rate, "concurrency", 1);
  }

  private static double ms(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }

  private static int distinct(int[] counts) {
    return (int) Arrays.stream(counts).filter(c -> c > 0).count();
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
