package dev.tally.app;

import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Settings of test nodes: an embedded broker on a free port, HTTP on a free port, a fresh application id. */
final class TestNodes {

  private TestNodes() {}

  static NodeSettings embedded(Path dataDir, String name, int partitions, int threads) {
    return new NodeSettings(Optional.empty(), 0, "localhost", 0, 0, "127.0.0.1", Optional.empty(), dataDir,
        partitions, 1, name + "-" + UUID.randomUUID(), "exactly_once_v2", threads, TallyConfig.defaults(), 0, Map.of(), 0,
        Optional.empty(), Map.of(), Limits.DEFAULTS);
  }

  /**
   * A node of {@code applicationId} on the cluster at {@code bootstrapServers}; the nodes present a
   * peer secret to each other, so every routed read passes its check.
   */
  static NodeSettings joining(String bootstrapServers, Path dataDir, String applicationId, int partitions,
      Map<String, String> streamsOverrides) {
    return new NodeSettings(Optional.of(bootstrapServers), 0, "localhost", Ports.free(), Ports.free(), "127.0.0.1",
        Optional.empty(), dataDir, partitions, 1, applicationId, "exactly_once_v2", 1, TallyConfig.defaults(), 1, streamsOverrides, 0,
        Optional.of(peerSecretFile(dataDir, applicationId)), Map.of(),
        Limits.DEFAULTS);
  }

  /** A file in {@code dataDir} with the peer secret of the nodes of {@code applicationId}. */
  static Path peerSecretFile(Path dataDir, String applicationId) {
    try {
      return Files.writeString(Files.createDirectories(dataDir).resolve("peer-secret"), "peers-of-" + applicationId);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code settings} counting with {@code topology}. */
  static NodeSettings withTopology(NodeSettings settings, TallyConfig topology) {
    return new NodeSettings(settings.bootstrapServers(), settings.kafkaPort(), settings.host(), settings.httpPort(),
        settings.internalPort(), settings.bind(), settings.authTokensFile(), settings.dataDir(), settings.partitions(), settings.replicationFactor(), settings.applicationId(),
        settings.processingGuarantee(), settings.streamThreads(), topology, settings.standbyReplicas(),
        settings.streamsOverrides(), settings.maxEventsPerSecondPerCounter(),
        settings.peerSecretFile(), settings.kafkaConfig(), settings.limits());
  }
}
