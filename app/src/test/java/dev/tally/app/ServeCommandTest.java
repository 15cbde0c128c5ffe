package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Issue 14, items 1 and 2: beyond loopback, serve needs tokens and a peer secret, or an explicit
 * --insecure, and says why.
 */
class ServeCommandTest {

  @Test
  void beyondLoopbackItNeedsTokensAndAPeerSecretOrInsecure() {
    assertThat(ServeCommand.refusal("127.0.0.1", false, false, false)).isNull();
    assertThat(ServeCommand.refusal("localhost", false, false, false)).isNull();
    assertThat(ServeCommand.refusal("0.0.0.0", false, false, false))
        .contains("--auth-tokens-file FILE").contains(" and --peer-secret-file").contains("--insecure");
    assertThat(ServeCommand.refusal("0.0.0.0", true, false, false))
        .doesNotContain("--auth-tokens-file").contains("give --peer-secret-file");
    assertThat(ServeCommand.refusal("0.0.0.0", false, true, false))
        .contains("give --auth-tokens-file").doesNotContain("--peer-secret-file");
    assertThat(ServeCommand.refusal("0.0.0.0", true, true, false)).isNull();
    assertThat(ServeCommand.refusal("0.0.0.0", false, false, true)).isNull();
  }

  @Test
  void theCommandRefusesToStartAndSaysWhy() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = new CommandLine(new TallyCommand()).execute("serve", "--bind", "0.0.0.0");
    } finally {
      System.setErr(err);
    }
    assertThat(exit).isEqualTo(2);
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("--auth-tokens-file");
  }

  /** Issue 14, item 6: a limit out of its range stops the start with a message, before anything runs. */
  @Test
  void aLimitOutOfRangeIsRefused() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = new CommandLine(new TallyCommand()).execute("serve", "--max-id-length", "500");
    } finally {
      System.setErr(err);
    }
    assertThat(exit).isEqualTo(2);
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("counter id limit must be 1-200");
  }
}
