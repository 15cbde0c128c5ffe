package dev.tally.app;

import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How one Tally instance runs.
 *
 * @param bootstrapServers the Kafka cluster to join; empty starts an embedded broker
 * @param kafkaPort port of the embedded broker (0: a free one); unused when joining a cluster
 * @param host the host other instances and clients reach this one at ({@code application.server})
 * @param httpPort HTTP port (0: a free one)
 * @param internalPort port of the internal endpoints the other instances call (0: a free one); this is
 *     the port of {@code application.server}
 * @param bind the address both HTTP listeners bind to
 * @param authTokensFile bearer tokens and their roles ({@code TOKEN ROLE[,ROLE...]} per line); empty:
 *     no authentication
 * @param dataDir holds the embedded broker's log ({@code kafka/}) and the Streams state ({@code streams/})
 * @param partitions partitions of {@code tally.increments} when Tally creates it
 * @param replicationFactor replicas of every topic Tally or Kafka Streams creates, with
 *     {@code min.insync.replicas} from {@link #minInSyncReplicas}; 1 for the embedded broker
 * @param applicationId the Kafka Streams application id; instances with the same id share the work
 * @param processingGuarantee {@code exactly_once_v2} or {@code at_least_once}
 * @param streamThreads Kafka Streams threads in this instance
 * @param topology what the topology counts and how (hot-counter threshold, dedupe horizon, skew, ...);
 *     its partitions are those of the increments topic, found at start
 * @param standbyReplicas warm copies of each store on other instances (none while there is one instance)
 * @param streamsOverrides further Kafka Streams settings, applied last
 * @param maxEventsPerSecondPerCounter events per counter and second accepted at ingest (0: no limit)
 * @param peerSecretFile the secret the instances present to each other's internal endpoints; empty: none
 * @param kafkaConfig client properties for every Kafka client of this instance (security, for one);
 *     only with {@code bootstrapServers}
 * @param limits what one HTTP request may hold
 */
public record NodeSettings(
    Optional<String> bootstrapServers,
    int kafkaPort,
    String host,
    int httpPort,
    int internalPort,
    String bind,
    Optional<Path> authTokensFile,
    Path dataDir,
    int partitions,
    int replicationFactor,
    String applicationId,
    String processingGuarantee,
    int streamThreads,
    TallyConfig topology,
    int standbyReplicas,
    Map<String, String> streamsOverrides,
    long maxEventsPerSecondPerCounter,
    Optional<Path> peerSecretFile,
    Map<String, String> kafkaConfig,
    Limits limits) {

  public NodeSettings {
    if (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replication factor must be 1 or more, got " + replicationFactor);
    }
  }

  /**
   * The {@code min.insync.replicas} of Tally's topics: a majority of the replicas, and 1 below 3 replicas,
   * so that with the producer's {@code acks=all} a write survives a broker lost after it, and writes go
   * on while one broker of three is down.
   */
  public static int minInSyncReplicas(int replicationFactor) {
    return replicationFactor < 3 ? 1 : replicationFactor / 2 + 1;
  }
}
