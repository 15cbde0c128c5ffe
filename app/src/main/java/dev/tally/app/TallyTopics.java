package dev.tally.app;

import dev.tally.topology.TallyConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Creates Tally's topics if they do not exist yet; existing topics are left as they are. */
public final class TallyTopics {

  private TallyTopics() {}

  /**
   * Each topic gets {@code replicationFactor} replicas and a majority of them as its
   * {@code min.insync.replicas}. The increments topic stamps records with the broker's clock
   * ({@code LogAppendTime}): a record's timestamp bounds how far its event time may lead and how far
   * it moves stream time, so no producer's clock, fast or not, decides that.
   */
  public static void ensure(Admin admin, TallyConfig config, int partitions, int replicationFactor) {
    Optional<Short> replicas = Optional.of((short) replicationFactor);
    String minInSync = Integer.toString(NodeSettings.minInSyncReplicas(replicationFactor));
    create(admin, List.of(
        new NewTopic(config.incrementsTopic(), Optional.of(partitions), replicas)
            .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync)),
        new NewTopic(config.dlqTopic(), Optional.of(partitions), replicas)
            .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync)),
        new NewTopic(config.shardConfigTopic(), Optional.of(1), replicas)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync))));
    // History is counted by the tasks of the live partitions: as many partitions as the increments
    // topic has, whatever --partitions says.
    int live = partitions(admin, config.incrementsTopic());
    create(admin, List.of(new NewTopic(config.backfillTopic(), Optional.of(live), replicas)
        .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
            TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync))));
    int backfill = partitions(admin, config.backfillTopic());
    if (backfill != live) {
      throw new IllegalStateException(config.backfillTopic() + " has " + backfill + " partitions and "
          + config.incrementsTopic() + " has " + live + ": they must have as many (co-partitioned); "
          + "add partitions to the smaller one or recreate it");
    }
  }

  private static void create(Admin admin, List<NewTopic> topics) {
    admin.createTopics(topics).values().forEach((name, future) -> {
      try {
        future.get();
      } catch (ExecutionException e) {
        // Without the Create ACL the broker says so even for a topic that exists: then use it as it is.
        boolean existing = e.getCause() instanceof TopicExistsException
            || e.getCause() instanceof TopicAuthorizationException && exists(admin, name);
        if (!existing) {
          throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage()
              + (e.getCause() instanceof InvalidReplicationFactorException
                  ? " (set --replication-factor to at most the cluster's brokers)" : ""), e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating topic " + name, e);
      }
    });
  }

  /** Whether {@code topic} exists (and this client may describe it). */
  static boolean exists(Admin admin, String topic) {
    try {
      admin.describeTopics(List.of(topic)).allTopicNames().get();
      return true;
    } catch (ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic " + topic, e);
    }
  }

  /**
   * How many partitions {@code topic} has. Just after it was created, the broker may not know it yet:
   * asked again for up to 30 s.
   */
  static int partitions(Admin admin, String topic) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try {
      while (true) {
        try {
          return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
            throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause().getMessage(), e);
          }
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic " + topic, e);
    }
  }
}
