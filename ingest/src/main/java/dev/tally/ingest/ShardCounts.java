package dev.tally.ingest;

import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted {@code tally.shard-config} topic from its beginning on a background thread and
 * answers how many shards each counter has. Counts only ever rise: the largest value seen wins. Until a
 * new count arrives, writers use the old one: still correct, just less spread.
 */
public final class ShardCounts implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ShardCounts.class);

  private final Map<String, Integer> shards = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Deserializer<ShardConfig> decoder = new ShardConfigSerde().deserializer();
  private final Thread thread;
  private volatile boolean running = true;

  public ShardCounts(String bootstrapServers, String topic) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.CLIENT_ID_CONFIG, "tally-shard-counts",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::follow, "tally-shard-counts");
    thread.setDaemon(true);
    thread.start();
  }

  /** The shard count of {@code counter}: 1 until the topic says otherwise. */
  public int of(String counter) {
    return shards.getOrDefault(counter, 1);
  }

  private void follow() {
    try {
      while (running) {
        consumer.poll(Duration.ofMillis(500)).forEach(record -> {
          ShardConfig config;
          try {
            config = decoder.deserialize(record.topic(), record.value());
          } catch (SerializationException e) {
            // Anyone can write to the topic; one bad record must not stop writers following it.
            log.warn("skipping record {}-{}@{} of the shard configuration: {}", record.topic(), record.partition(),
                record.offset(), e.getMessage());
            return;
          }
          if (config != null && record.key() != null) {
            int previous = shards.merge(record.key(), config.getShards(), Math::max);
            log.debug("counter '{}' has {} shards", record.key(), previous);
          }
        });
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      log.error("stopped following shard counts; writers keep the counts seen so far", e);
    } finally {
      consumer.close();
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
