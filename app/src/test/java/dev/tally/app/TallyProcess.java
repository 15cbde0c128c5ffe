package dev.tally.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A {@code tally} command run as its own process from the packaged jar, so that it can be killed hard. */
final class TallyProcess implements AutoCloseable {

  private final List<String> command;
  private final Path log;
  private Process process;

  private TallyProcess(List<String> command, Path log) {
    this.command = command;
    this.log = log;
  }

  /** Starts {@code tally ARGS...} with its output in {@code log}; a restart appends to it. */
  static TallyProcess start(Path log, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("-jar");
    command.add(Path.of("target", "tally.jar").toAbsolutePath().toString());
    command.addAll(List.of(args));
    TallyProcess started = new TallyProcess(command, log);
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    started.start();
    return started;
  }

  /** Starts the same command again, as after a crash: same arguments, same data directory. */
  void start() {
    try {
      Files.createDirectories(log.getParent());
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or committed. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** Lines of the output so far that contain {@code text}. */
  long linesContaining(String text) {
    try (Stream<String> lines = Files.lines(log)) {
      return lines.filter(line -> line.contains(text)).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null) {
      kill();
    }
  }
}
