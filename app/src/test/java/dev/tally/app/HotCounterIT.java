package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.ingest.ShardCounts;
import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import dev.tally.topology.TallyConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One counter well over the hot threshold for 30 s among 1,000 quiet ones, written by a TallyProducer
 * that follows tally.shard-config while it writes: the hot counter's shard count rises, and every total,
 * summed over whatever shards it had, is exact.
 */
class HotCounterIT {

  private static final double THRESHOLD = 1_000; // events/s per shard, low so that CI can exceed it
  private static final int HOT_RATE = 4_000;

  @RegisterExtension
  static final RunningNode tally = new RunningNode(dataDir -> TestNodes.withTopology(
      TestNodes.embedded(dataDir, "hot-counter-it", 6, 2), TallyConfig.defaults().withHotEventsPerSecond(THRESHOLD)));

  @Test
  void aHotCounterGetsMoreShardsAndEveryTotalStaysExact() {
    long sentHot = 0;
    List<CompletableFuture<?>> sends = new ArrayList<>();
    try (ShardCounts shards = new ShardCounts(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers()), TallyConfig.SHARD_CONFIG_TOPIC);
        TallyProducer producer = new TallyProducer(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers()),
            TallyConfig.INCREMENTS_TOPIC, shards::of)) {
      for (int quiet = 0; quiet < 1_000; quiet++) {
        for (int i = 0; i < 3; i++) {
          sends.add(producer.send(event("quiet:" + quiet)));
        }
      }
      long start = System.nanoTime();
      long end = start + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < end) {
        // Paced: HOT_RATE events a second, in slices of 10 ms.
        long due = (System.nanoTime() - start) * HOT_RATE / 1_000_000_000L;
        for (; sentHot < due; sentHot++) {
          sends.add(producer.send(event("hot")));
        }
        LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
      assertThat(shards.of("hot")).as("the producer followed the new shard count").isGreaterThanOrEqualTo(4);
    }

    long expectedHot = sentHot;
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertThat(tally.client().get("/v1/counters/hot?fresh=true").body().get("total").longValue()).isEqualTo(expectedHot));
    assertThat(tally.client().get("/v1/counters/hot").body().get("shards").intValue()).isGreaterThanOrEqualTo(4);
    for (int quiet = 0; quiet < 1_000; quiet++) {
      assertThat(tally.client().counter("quiet:" + quiet)).as("quiet:" + quiet).containsExactly(3, 3, 0);
    }
    assertThat(tally.client().get("/v1/counters/quiet:1").body().get("shards").intValue()).isEqualTo(1);
    assertThat(tally.client().get("/v1/counters/hot/last?window=PT5M").body().get("count").longValue())
        .as("windows merge the shards too").isEqualTo(expectedHot);
  }

  @Test
  void anOperatorCanPinShardsButNeverLowerThem() {
    TallyClient.Response pinned = tally.client().post("/v1/counters/launch/shards", "{\"shards\":16}");
    assertThat(pinned.status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(tally.client().get("/v1/counters/launch").body().get("shards").intValue()).isEqualTo(16));

    TallyClient.Response lower = tally.client().post("/v1/counters/launch/shards", "{\"shards\":4}");
    assertThat(lower.status()).isEqualTo(400);
    assertThat(lower.body().get("error").textValue()).contains("never shrink");
    assertThat(tally.client().post("/v1/counters/launch/shards", "{\"shards\":5}").status()).isEqualTo(400);
    // Issue 12, item 15: 64.9 once pinned 64.
    assertThat(tally.client().post("/v1/counters/launch/shards", "{\"shards\":64.9}").status()).isEqualTo(400);
  }

  /**
   * Issue 12, item 11: anyone can write to tally.shard-config. A record that does not decode once
   * stopped the Streams client, and a count of 128 stopped the coalescer's flusher.
   */
  @Test
  void badShardConfigurationRecordsAreSkipped() {
    ShardConfig bad = ShardConfig.newBuilder().setCounter("odd").setShards(128).setReason("manual")
        .setEventsPerSecond(0.0).setDecidedAt(Instant.now()).build();
    byte[] encodedBad = new ShardConfigSerde().serializer().serialize(TallyConfig.SHARD_CONFIG_TOPIC, bad);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, tally.node().bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(TallyConfig.SHARD_CONFIG_TOPIC, "odd", "not avro".getBytes(StandardCharsets.UTF_8)));
      producer.send(new ProducerRecord<>(TallyConfig.SHARD_CONFIG_TOPIC, "odd", encodedBad));
      producer.flush();
    }
    // Coalesced writes (no eventId) of the very counter.
    for (int i = 0; i < 20; i++) {
      assertThat(tally.client().post("/v1/counters/odd/increments", "{}").status()).isEqualTo(202);
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(tally.client().counter("odd")[0]).isEqualTo(20);
      assertThat(tally.client().get("/v1/counters/odd").body().get("shards").intValue()).isEqualTo(1);
      assertThat(tally.client().get("/health/ready").status()).isEqualTo(200);
    });
  }

  private static IncrementEvent event(String counter) {
    return IncrementEvent.newBuilder().setCounter(counter).setDelta(1).setEventTime(Instant.now()).build();
  }
}
