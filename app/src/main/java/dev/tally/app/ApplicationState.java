package dev.tally.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * What a Kafka Streams application id owns: its consumer group (committed input offsets), its internal
 * topics ({@code <id>-...-changelog}, {@code <id>-...-repartition}) and its local state directory.
 * What {@code kafka-streams-application-reset} removes, for Tally's topics, plus the local state.
 */
final class ApplicationState {

  private final Admin admin;
  private final String applicationId;

  ApplicationState(Admin admin, String applicationId) {
    this.admin = admin;
    this.applicationId = applicationId;
  }

  /** Members of the application's group now: instances still running. */
  int runningInstances() throws ExecutionException, InterruptedException {
    try {
      ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(applicationId)).all().get()
          .get(applicationId);
      return group == null ? 0 : group.members().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return 0;
      }
      throw e;
    }
  }

  /** Whether the application's group has committed offsets. */
  boolean hasOffsets() throws ExecutionException, InterruptedException {
    try {
      return !admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get().isEmpty();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return false;
      }
      throw e;
    }
  }

  List<String> internalTopics() throws ExecutionException, InterruptedException {
    return admin.listTopics().names().get().stream()
        .filter(topic -> topic.startsWith(applicationId + "-")
            && (topic.endsWith("-changelog") || topic.endsWith("-repartition")))
        .sorted()
        .toList();
  }

  /**
   * Deletes the group, the given internal topics (as {@link #internalTopics()} listed them) and the local
   * state under {@code dataDir}: everything the application id owned, once no instance runs it.
   */
  void forget(List<String> internalTopics, Path dataDir) throws ExecutionException, InterruptedException {
    try {
      admin.deleteConsumerGroups(List.of(applicationId)).all().get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        throw e;
      }
    }
    if (!internalTopics.isEmpty()) {
      admin.deleteTopics(internalTopics).all().get();
    }
    wipe(localState(dataDir));
  }

  /** This application's state under a data directory: {@code DATA/streams/<id>}. */
  Path localState(Path dataDir) {
    return dataDir.resolve("streams").resolve(applicationId);
  }

  /** Deletes {@code directory} and everything in it, if it exists. */
  private static void wipe(Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + directory, e);
    }
  }
}
