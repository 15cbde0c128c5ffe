package dev.tally.ingest;

import dev.tally.schemas.ShardConfig;
import dev.tally.schemas.ShardConfigSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
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
 * answers how many shards each counter has. Counts only ever rise: the largest value seen wins. A
 * counter whose last record is lower than its largest is handed to {@link #onLowered} (which writes the
 * largest again, so that compaction cannot keep the lower one), once this has read up to where the topic
 * ended when it started, so history that was already repaired is not repaired again. Until a new count
 * arrives, writers use the old one: still correct, just less spread.
 */
public final class ShardCounts implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ShardCounts.class);

  private final Map<String, ShardConfig> largest = new ConcurrentHashMap<>();
  private volatile Consumer<ShardConfig> onLowered = config -> { };
  private final KafkaConsumer<String, byte[]> consumer;
  private final Deserializer<ShardConfig> decoder = new ShardConfigSerde().deserializer();
  private final Thread thread;
  private final List<TopicPartition> partitions;
  /** Where the topic ended at the start; read up to there, lowered counters are handed on. */
  private final Map<TopicPartition, Long> startEnd;
  /** Counters whose last record read is lower than their largest; only the following thread uses it. */
  private final Set<String> lowered = new HashSet<>();
  private boolean caughtUp;
  private volatile boolean running = true;

  /** @param kafka the cluster's client settings: bootstrap servers, and security if any */
  public ShardCounts(Map<String, Object> kafka, String topic) {
    Map<String, Object> settings = new HashMap<>(kafka);
    settings.put(ConsumerConfig.CLIENT_ID_CONFIG, "tally-shard-counts");
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer());
    partitions = consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    startEnd = consumer.endOffsets(partitions);
    thread = new Thread(this::follow, "tally-shard-counts");
    thread.setDaemon(true);
    thread.start();
  }

  /** The shard count of {@code counter}: 1 until the topic says otherwise. */
  public int of(String counter) {
    ShardConfig config = largest.get(counter);
    return config == null ? 1 : config.getShards();
  }

  /** Calls {@code listener} (on this class's thread) with the largest count when a lower one is read. */
  public void onLowered(Consumer<ShardConfig> listener) {
    this.onLowered = listener;
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
            ShardConfig kept = largest.merge(record.key(), config,
                (old, read) -> read.getShards() > old.getShards() ? read : old);
            if (kept.getShards() > config.getShards()) {
              lowered.add(record.key());
            } else {
              lowered.remove(record.key());
            }
          }
        });
        caughtUp = caughtUp || partitions.stream().allMatch(p -> consumer.position(p) >= startEnd.get(p));
        if (caughtUp && !lowered.isEmpty()) {
          lowered.forEach(counter -> onLowered.accept(largest.get(counter)));
          lowered.clear();
        }
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
