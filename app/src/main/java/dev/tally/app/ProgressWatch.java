package dev.tally.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices active tasks of this instance that make no progress while input waits for them: a task stuck
 * in a loop (such as the task-corruption loops of KAFKA-9727 and its family) is RUNNING as far as
 * Kafka Streams' client state goes, yet counts nothing. Progress is read from outside: the group's
 * committed offsets against the input partitions' end offsets, as a consumer-lag monitor would.
 */
final class ProgressWatch {

  private static final Logger log = LoggerFactory.getLogger(ProgressWatch.class);
  private static final long ADMIN_TIMEOUT_SECONDS = 5;

  private final Duration stallAfter;
  private final LongSupplier clockMillis;
  private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
  private final Map<TopicPartition, Long> progressAt = new HashMap<>();
  private volatile List<String> stalled = List.of();

  ProgressWatch(Duration stallAfter, LongSupplier clockMillis) {
    this.stallAfter = stallAfter;
    this.clockMillis = clockMillis;
  }

  /** Tasks with input waiting that made no progress for the stall time, in words; empty when all move. */
  List<String> stalled() {
    return stalled;
  }

  /**
   * One look from outside: this instance's active partitions of {@code topic}, their committed and end
   * offsets. Only topics written outside transactions: in one written by a transaction, the commit
   * marker sits after the last record, so a caught-up group would look one record behind.
   */
  void check(KafkaStreams streams, HostInfo self, Admin admin, String applicationId, String topic) {
    // The group's assignment, not the threads' task lists: a task caught in a loop may be in neither.
    Map<TopicPartition, String> mine = new HashMap<>();
    for (StreamsMetadata client : streams.metadataForAllStreamsClients()) {
      if (client.hostInfo().equals(self)) {
        client.topicPartitions().stream().filter(partition -> partition.topic().equals(topic))
            .forEach(partition -> mine.put(partition, "the task of partition " + partition.partition()));
      }
    }
    if (mine.isEmpty()) {
      observe(mine, Map.of(), Map.of());
      return;
    }
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
          .partitionsToOffsetAndMetadata().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      mine.keySet().forEach(partition -> latest.put(partition, OffsetSpec.latest()));
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
          .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .forEach((partition, info) -> ends.put(partition, info.offset()));
      Map<TopicPartition, Long> offsets = new HashMap<>();
      committed.forEach((partition, offset) -> {
        if (offset != null) {
          offsets.put(partition, offset.offset());
        }
      });
      observe(mine, offsets, ends);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // The broker is unreachable: that is not evidence that a task is stuck; keep the last verdict.
      log.debug("could not read the group's progress", e);
    }
  }

  /**
   * Updates the verdict from one observation.
   *
   * @param mine this instance's active input partitions and the task that reads each
   * @param committed the group's committed offset of each partition (absent: none yet)
   * @param ends the end offset of each partition
   */
  void observe(Map<TopicPartition, String> mine, Map<TopicPartition, Long> committed,
      Map<TopicPartition, Long> ends) {
    long now = clockMillis.getAsLong();
    lastCommitted.keySet().retainAll(mine.keySet());
    progressAt.keySet().retainAll(mine.keySet());
    List<String> stuck = new ArrayList<>();
    for (Map.Entry<TopicPartition, String> entry : mine.entrySet()) {
      TopicPartition partition = entry.getKey();
      long position = committed.getOrDefault(partition, -1L);
      long waiting = ends.getOrDefault(partition, 0L) - Math.max(position, 0);
      Long before = lastCommitted.put(partition, position);
      if (waiting <= 0 || before == null || before != position) {
        progressAt.put(partition, now);
        continue;
      }
      long idle = now - progressAt.get(partition);
      if (idle >= stallAfter.toMillis()) {
        stuck.add(partition + " (" + entry.getValue() + "): no progress for " + idle / 1000 + " s with "
            + waiting + " records waiting");
      }
    }
    stuck.sort(null);
    if (!stuck.isEmpty() && !stuck.equals(stalled)) {
      log.warn("tasks make no progress: {}", stuck);
    }
    stalled = List.copyOf(stuck);
  }
}
