package dev.tally.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally reset}: Kafka Streams' application reset for Tally's application id (its group's input
 * offsets and its internal topics), and the local state under {@code --data-dir}; every count starts
 * again from the beginning of the input topics at the next start.
 */
@Command(name = "reset", mixinStandardHelpOptions = true,
    description = "Forget an application id's counts: its offsets, internal topics and local state.")
final class ResetCommand implements Callable<Integer> {

  @Option(names = "--application-id", defaultValue = "tally", description = "Default: ${DEFAULT-VALUE}.")
  String applicationId;

  @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092", description = "Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (security).")
  Path kafkaConfig;

  @Option(names = "--data-dir", defaultValue = "data", description = "Whose streams/<id> to wipe (default: ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--yes", description = "Do not ask for confirmation.")
  boolean yes;

  @Override
  public Integer call() throws Exception {
    try (Admin admin = Admin.create(KafkaConfigFile.clientSettings(kafkaConfig, bootstrapServers))) {
      ApplicationState state = new ApplicationState(admin, applicationId);
      int running = state.runningInstances();
      if (running > 0) {
        System.err.printf("tally reset: %d instance(s) of %s are running; stop every one first%n", running,
            applicationId);
        return 2;
      }
      List<String> topics = state.internalTopics();
      Path local = state.localState(dataDir);
      System.out.printf("This forgets every count of application %s: its committed offsets, %d internal topic(s)%s"
          + " and %s. The next start counts the input topics again from their beginning.%n",
          applicationId, topics.size(), topics.isEmpty() ? "" : " " + topics, local.toAbsolutePath());
      if (!yes && !confirmed()) {
        System.out.println("Nothing changed.");
        return 1;
      }
      state.forget(topics, dataDir);
      System.out.printf("Reset %s. Instances on other machines keep their own state directories: wipe "
          + "streams/%s under their --data-dir before they start.%n", applicationId, applicationId);
      return 0;
    }
  }

  private static boolean confirmed() throws IOException {
    System.out.print("Type yes to go on: ");
    System.out.flush();
    String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    return "yes".equals(answer == null ? null : answer.strip());
  }
}
