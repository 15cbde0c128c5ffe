package dev.tally.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code tally} command in its own process, from the packaged jar, that can be killed hard and started
 * again with the same arguments (same ports, same data directory), its output appended to one log.
 */
final class JavaProcess implements AutoCloseable {

  private final List<String> command;
  private final Path log;
  private Process process;

  private JavaProcess(List<String> command, Path log) {
    this.command = command;
    this.log = log;
  }

  /** Starts {@code tally ARGS...} with {@code heap} (e.g. {@code 512m}), its output in {@code log}. */
  static JavaProcess start(Path log, String heap, String... args) {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-Xmx" + heap, "-XX:+UseG1GC", "-jar", tallyJar().toString()));
    command.addAll(List.of(args));
    JavaProcess started = new JavaProcess(command, log);
    started.start();
    return started;
  }

  /**
   * The packaged {@code app/target/tally.jar}, from the repository's root (bench/run.sh) or from a
   * module directory (a test run by Maven).
   */
  static Path tallyJar() {
    for (Path candidate : List.of(Path.of("app", "target", "tally.jar"), Path.of("..", "app", "target", "tally.jar"))) {
      if (Files.isRegularFile(candidate)) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("no app/target/tally.jar here or in ..: build it first (mvn package)");
  }

  /** Starts the command (again). */
  void start() {
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or committed. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, and SIGKILL if it has not stopped within 30 s. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      kill();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (alive()) {
      kill();
    }
  }
}
