package dev.tally.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tally} command line. */
@Command(
    name = "tally",
    mixinStandardHelpOptions = true,
    version = "tally 0.1.0",
    description = "Distributed counters on Kafka Streams.",
    subcommands = {ServeCommand.class, BrokerCommand.class, GetCommand.class, ShardsCommand.class, LoadCommand.class,
        ImportCommand.class, ReplayCommand.class, ResetCommand.class})
public final class TallyCommand {

  public static void main(String[] args) {
    System.exit(new CommandLine(new TallyCommand()).execute(args));
  }
}
