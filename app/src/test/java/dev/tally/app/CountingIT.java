package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.ingest.Coalescer;
import dev.tally.ingest.LoadGenerator;
import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import dev.tally.topology.DeadLetters;
import dev.tally.topology.TallyConfig;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole path on a real in-process KRaft broker: HTTP and Kafka in, RocksDB state, HTTP out. */
class CountingIT {

  private static final int COUNTERS = 1_000;
  private static final int EVENTS = 100_000;
  /** Now, like the other tests' events that take the time of receipt: so none of these is late. */
  private static final Instant T0 = Instant.now();

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("counting-it", 6, 2);

  /**
   * Issue 16, item 2: every topic Tally or Kafka Streams creates sets its replication factor and
   * {@code min.insync.replicas} itself, not the cluster's defaults (here 1, the embedded broker's).
   */
  @Test
  void topicsSetTheirOwnDurability() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers()))) {
      List<String> topics = admin.listTopics().names().get().stream()
          .filter(topic -> topic.startsWith("tally.") || topic.endsWith("-changelog")).sorted().toList();
      assertThat(topics).contains(TallyConfig.INCREMENTS_TOPIC, TallyConfig.BACKFILL_TOPIC, TallyConfig.DLQ_TOPIC,
          TallyConfig.SHARD_CONFIG_TOPIC).anyMatch(topic -> topic.endsWith("-changelog"));
      Map<ConfigResource, Config> configs = admin.describeConfigs(topics.stream()
          .map(topic -> new ConfigResource(ConfigResource.Type.TOPIC, topic)).toList()).all().get();
      configs.forEach((topic, config) -> {
        ConfigEntry minInSync = config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        assertThat(minInSync.source()).as(topic.name()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(minInSync.value()).as(topic.name()).isEqualTo("1");
      });
      admin.describeTopics(topics).allTopicNames().get().forEach((topic, description) -> assertThat(
          description.partitions()).as(topic).allSatisfy(p -> assertThat(p.replicas()).hasSize(1)));
    }
  }

  @Test
  void hundredThousandEventsOverHttpAndKafkaAreCountedExactly() throws Exception {
    Random random = new Random(42);
    Map<String, long[]> expected = new TreeMap<>();
    List<IncrementEvent> viaHttp = new ArrayList<>();
    List<IncrementEvent> viaKafka = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      String counter = String.format("page:%03d", random.nextInt(COUNTERS));
      long delta = random.nextInt(16) - 5;
      // Event times within 10 s of each other: in any arrival order, none is late.
      IncrementEvent event = IncrementEvent.newBuilder()
          .setCounter(counter).setDelta(delta).setEventTime(T0.plusMillis(i / 10)).build();
      (i % 2 == 0 ? viaHttp : viaKafka).add(event);
      long[] parts = expected.computeIfAbsent(counter, c -> new long[2]);
      parts[delta >= 0 ? 0 : 1] += Math.abs(delta);
    }

    byte[] corrupt = "{\"counter\":\"page:007\",\"delta\":1000000}".getBytes(StandardCharsets.UTF_8);
    try (KafkaProducer<String, byte[]> producer = plainProducer()) {
      IncrementEventSerde serde = new IncrementEventSerde();
      for (int i = 0; i < viaKafka.size(); i++) {
        if (i == viaKafka.size() / 2) {
          producer.send(new ProducerRecord<>(TallyConfig.INCREMENTS_TOPIC, "page:007", corrupt));
        }
        IncrementEvent event = viaKafka.get(i);
        producer.send(new ProducerRecord<>(TallyConfig.INCREMENTS_TOPIC, event.getCounter(), serde.encode(event)));
      }
      producer.flush();
    }
    for (int from = 0; from < viaHttp.size(); from += 1_000) {
      List<IncrementEvent> batch = viaHttp.subList(from, Math.min(from + 1_000, viaHttp.size()));
      boolean ndjson = (from / 1_000) % 2 == 0;
      TallyClient.Response response = tally.client().post("/v1/events", ndjson ? ndjson(batch) : jsonArray(batch));
      assertThat(response.status()).as(response.body().toString()).isEqualTo(202);
      assertThat(response.body().get("accepted").intValue()).isEqualTo(batch.size());
    }

    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      for (Map.Entry<String, long[]> entry : expected.entrySet()) {
        long[] parts = entry.getValue();
        assertThat(tally.client().counter(entry.getKey())).as(entry.getKey())
            .containsExactly(parts[0] - parts[1], parts[0], parts[1]);
      }
    });

    List<ConsumerRecord<byte[], byte[]>> letters = readAll(TallyConfig.DLQ_TOPIC);
    assertThat(letters).hasSize(1);
    ConsumerRecord<byte[], byte[]> letter = letters.get(0);
    assertThat(letter.value()).isEqualTo(corrupt);
    assertThat(header(letter, DeadLetters.REASON)).isEqualTo("corrupt");
    assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(TallyConfig.INCREMENTS_TOPIC);
    assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).matches("[0-5]");
    assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).matches("\\d+");
  }

  /**
   * Issue 12, item 1: a pin of 4 straight after a pin of 16 used to pass, because the check read a copy
   * that follows the topic asynchronously; and whatever record came last decided the count.
   */
  @Test
  void aShardCountNeverGoesDown() throws Exception {
    assertThat(tally.client().post("/v1/counters/pinned/shards", "{\"shards\":16}").status()).isEqualTo(202);
    TallyClient.Response lower = tally.client().post("/v1/counters/pinned/shards", "{\"shards\":4}");
    assertThat(lower.status()).as(lower.body().toString()).isEqualTo(400);

    // A writer elsewhere that had not seen the 16 yet: its 4 lands after it.
    ShardConfigSerde serde = new ShardConfigSerde();
    ShardConfig four = ShardConfig.newBuilder().setCounter("pinned").setShards(4).setReason("pinned")
        .setEventsPerSecond(0).setDecidedAt(Instant.now()).build();
    try (KafkaProducer<String, byte[]> producer = plainProducer()) {
      producer.send(new ProducerRecord<>(TallyConfig.SHARD_CONFIG_TOPIC, "pinned",
          serde.serializer().serialize(TallyConfig.SHARD_CONFIG_TOPIC, four))).get();
    }
    // The 16 is written again after it, so compaction keeps 16; reads cover 16 shards throughout.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<ConsumerRecord<byte[], byte[]>> records = readAll(TallyConfig.SHARD_CONFIG_TOPIC).stream()
          .filter(r -> "pinned".equals(new String(r.key(), StandardCharsets.UTF_8))).toList();
      ShardConfig last = serde.deserializer().deserialize("t", records.get(records.size() - 1).value());
      assertThat(records).hasSizeGreaterThanOrEqualTo(3);
      assertThat(last.getShards()).isEqualTo(16);
    });
    assertThat(tally.client().get("/v1/counters/pinned").body().get("shards").intValue()).isEqualTo(16);
  }

  /**
   * Issue 12, item 13: a Python producer (librdkafka's default partitioner, CRC32-based) put most
   * counters' records where no read looks, and 505 of 600 counters read 0. Such records are re-routed
   * to the task that owns their key.
   */
  @Test
  void recordsInAnotherPartitionThanTheirKeysAreCountedToo() throws Exception {
    IncrementEventSerde serde = new IncrementEventSerde();
    try (KafkaProducer<String, byte[]> producer = plainProducer()) {
      for (int c = 0; c < 600; c++) {
        String counter = "crc:" + c;
        CRC32 crc = new CRC32();
        crc.update(counter.getBytes(StandardCharsets.UTF_8));
        int partition = (int) (crc.getValue() % 6);
        for (int i = 0; i < 3; i++) {
          IncrementEvent event = IncrementEvent.newBuilder().setCounter(counter).setDelta(1).setEventTime(Instant.now())
              .build();
          producer.send(new ProducerRecord<>(TallyConfig.INCREMENTS_TOPIC, partition, counter, serde.encode(event)));
        }
      }
      producer.flush();
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (int c = 0; c < 600; c++) {
        assertThat(tally.client().counter("crc:" + c)[0]).as("crc:" + c).isEqualTo(3);
      }
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      double rerouted = tally.client().text("/metrics").lines().filter(line -> line.startsWith("kafka_stream_tally_rerouted_total{"))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
      assertThat(rerouted).as("misplaced records re-routed").isGreaterThan(1_000);
    });
  }

  /** Issue 13: with Prefer: respond-async the answer comes before Kafka's acknowledgement, and says so. */
  @Test
  void respondAsyncAnswersAtOnceSaysItIsNotDurableAndCounts() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(
              URI.create("http://localhost:" + tally.node().httpPort() + "/v1/counters/fast/increments"))
          .header("Content-Type", "application/json").header("Prefer", "respond-async")
          .POST(HttpRequest.BodyPublishers.ofString("{\"delta\":2}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(202);
      assertThat(response.headers().firstValue("Preference-Applied")).hasValue("respond-async");
      assertThat(response.body()).contains("\"position\":null").contains("\"durable\":false");
    }
    TallyClient.Response durable = tally.client().post("/v1/counters/fast/increments", "{\"delta\":1}");
    assertThat(durable.body().get("durable").booleanValue()).isTrue();
    assertThat(durable.body().get("position").isTextual()).isTrue();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(tally.client().counter("fast")[0]).isEqualTo(101));
  }

  /** Issue 12, item 10: each shard holds at most 2^63-1, their sum more; it used to answer 500. */
  @Test
  void shardsWhoseSumPassesALongAreAddedExactly() throws Exception {
    assertThat(tally.client().post("/v1/counters/huge/shards", "{\"shards\":4}").status()).isEqualTo(202);
    try (KafkaProducer<String, byte[]> producer = plainProducer()) {
      IncrementEventSerde serde = new IncrementEventSerde();
      for (String shardKey : List.of("huge", "huge#1", "huge#2")) {
        IncrementEvent event = IncrementEvent.newBuilder().setCounter("huge").setDelta(Long.MAX_VALUE)
            .setEventTime(Instant.now()).build();
        producer.send(new ProducerRecord<>(TallyConfig.INCREMENTS_TOPIC, shardKey, serde.encode(event)));
      }
      IncrementEvent down = IncrementEvent.newBuilder().setCounter("huge").setDelta(-5).setEventTime(Instant.now())
          .build();
      producer.send(new ProducerRecord<>(TallyConfig.INCREMENTS_TOPIC, "huge#3", serde.encode(down)));
      producer.flush();
    }
    BigInteger increments = BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.valueOf(3));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      TallyClient.Response response = tally.client().get("/v1/counters/huge");
      assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
      assertThat(response.body().get("increments").bigIntegerValue()).isEqualTo(increments);
      assertThat(response.body().get("decrements").bigIntegerValue()).isEqualTo(BigInteger.valueOf(5));
      assertThat(response.body().get("total").bigIntegerValue()).isEqualTo(increments.subtract(BigInteger.valueOf(5)));
    });
  }

  @Test
  void badHttpInputIsA400AndCountsNothing() {
    assertThat(tally.client().post("/v1/counters/solo/increments", "{\"delta\":2}").status()).isEqualTo(202);

    assertThat(tally.client().post("/v1/counters/solo/increments", "{\"delta\":\"two\"}").status()).isEqualTo(400);
    assertThat(tally.client().post("/v1/counters/solo/increments", "{not json").status()).isEqualTo(400);
    assertThat(tally.client().post("/v1/counters/so%20lo/increments", "{}").status()).isEqualTo(400);
    assertThat(tally.client().post("/v1/events", "[{\"counter\":\"solo\",\"delta\":1.5}]").status()).isEqualTo(400);
    TallyClient internal = new TallyClient(tally.node().internalPort());
    assertThat(internal.post("/internal/v1/fetch", "{}").status()).isEqualTo(400);
    assertThat(internal.post("/internal/v1/fetch", "{\"reads\":[{\"store\":\"nope\",\"key\":\"solo\"}]}")
        .status()).isEqualTo(400);
    assertThat(tally.client().post("/internal/v1/fetch", "{}").status()).as("never on the public port").isEqualTo(404);
    assertThat(internal.get("/v1/counters/solo").status()).as("nor the public routes on the internal one")
        .isEqualTo(404);
    TallyClient.Response tooLong = tally.client().get("/v1/counters/" + "x".repeat(201));
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.body().get("error").textValue()).contains("at most 200");
    TallyClient.Response partial = tally.client().post("/v1/events",
        "{\"counter\":\"solo\",\"delta\":3}\n{\"counter\":\"solo\",\"delta\":1,\"eventTime\":\"soon\"}\n");
    assertThat(partial.status()).isEqualTo(202);
    assertThat(partial.body().get("rejected").intValue()).isEqualTo(1);
    assertThat(partial.body().get("errors").get(0).get("index").intValue()).isEqualTo(1);
    // Issue 12, item 15: a line with two objects once counted the first and dropped the second.
    TallyClient.Response twoOnALine = tally.client().post("/v1/events",
        "{\"counter\":\"solo\",\"delta\":7} {\"counter\":\"solo\",\"delta\":8}\n");
    assertThat(twoOnALine.status()).isEqualTo(400);
    assertThat(twoOnALine.body().get("rejected").intValue()).isEqualTo(1);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(tally.client().counter("solo")).containsExactly(5, 5, 0));
  }

  @Test
  void theLoadGeneratorsAcknowledgedEventsAreAllCounted() {
    LoadGenerator generator;
    try (TallyProducer producer = new TallyProducer(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers()), TallyConfig.INCREMENTS_TOPIC,
            counter -> 1);
        Coalescer coalescer = new Coalescer(producer, Coalescer.DEFAULT_INTERVAL)) {
      generator = new LoadGenerator(coalescer, java.time.Clock.systemUTC());
      generator.run(new LoadGenerator.Plan(3_000, 10, 0.5, 0, Duration.ofSeconds(3)), 5);
      coalescer.flush();
      producer.flush();
    }
    assertThat(generator.failed()).isZero();
    assertThat(generator.acknowledged()).isEqualTo(generator.sent()).isGreaterThan(8_000);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      long total = tally.client().counter("hot")[0];
      for (int i = 0; i < 10; i++) {
        total += tally.client().counter("load:" + i)[0];
      }
      assertThat(total).isEqualTo(generator.acknowledged());
    });
  }

  /**
   * Issue 14, item 7: a client that retries with the same eventId counts once, on a counter of 16
   * shards too (events with an id go to its first shard, where their retries go).
   */
  @Test
  void writesRetriedWithTheirEventIdCountOnce() throws Exception {
    assertThat(tally.client().post("/v1/counters/orders/shards", "{\"shards\":16}").status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> tally.client().get("/v1/counters/orders").body().get("shards").intValue() == 16);
    for (int attempt = 0; attempt < 3; attempt++) {
      assertThat(tally.client().post("/v1/counters/orders/increments", "{\"delta\":5,\"eventId\":\"order-1\"}").status())
          .isEqualTo(202);
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < 20; i++) {
        batch.append("{\"counter\":\"orders\",\"delta\":1,\"eventId\":\"line-").append(i).append("\"}\n");
      }
      assertThat(tally.client().post("/v1/events", batch.toString()).status()).isEqualTo(202);
    }
    // Without ids, every attempt counts.
    for (int attempt = 0; attempt < 3; attempt++) {
      tally.client().post("/v1/counters/orders/increments", "{\"delta\":100}");
    }

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(tally.client().counter("orders")[0]).isEqualTo(5 + 20 + 300));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(tally.client().text("/metrics"))
        .containsPattern("kafka_stream_tally_duplicates_total\\{[^}]*} [1-9]"));
  }

  @Test
  void aCounterThatNeverMovedIsZero() {
    assertThat(tally.client().counter("never-seen")).containsExactly(0, 0, 0);
    assertThat(tally.client().get("/health/ready").status()).isEqualTo(200);
    assertThat(tally.client().get("/v1/nowhere").status()).isEqualTo(404);
  }

  private static KafkaProducer<String, byte[]> plainProducer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer());
  }

  /** Every committed record of {@code topic}, read up to its end. */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
    }
    return records;
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  private static String ndjson(List<IncrementEvent> events) {
    StringBuilder body = new StringBuilder();
    events.forEach(e -> body.append(json(e)).append('\n'));
    return body.toString();
  }

  private static String jsonArray(List<IncrementEvent> events) {
    return events.stream().map(CountingIT::json).collect(java.util.stream.Collectors.joining(",", "[", "]"));
  }

  private static String json(IncrementEvent event) {
    return String.format("{\"counter\":\"%s\",\"delta\":%d,\"eventTime\":\"%s\"}",
        event.getCounter(), event.getDelta(), event.getEventTime());
  }
}
