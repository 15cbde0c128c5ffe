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
    assertThat(refusal("serve", "--bind", "0.0.0.0")).contains("--auth-tokens-file");
  }

  /** Issue 14, item 6: a limit out of its range stops the start with a message, before anything runs. */
  @Test
  void aLimitOutOfRangeIsRefused() {
    assertThat(refusal("serve", "--max-id-length", "500")).contains("counter id limit must be 1-200");
  }

  /** Issue 16, item 2: the embedded broker is one broker; and what decides counting is checked too. */
  @Test
  void aReplicationFactorTheClusterCannotHaveOrANegativeSkewIsRefused() {
    assertThat(refusal("serve", "--replication-factor", "3")).contains("1 for the embedded broker");
    assertThat(refusal("serve", "--bootstrap-servers", "localhost:1", "--replication-factor", "0"))
        .contains("--replication-factor must be 1 or more");
    assertThat(refusal("serve", "--max-future-skew", "-PT1H")).contains("--max-future-skew must be zero or more");
    assertThat(refusal("replay", "--application-id", "x", "--dedupe-horizon", "-PT1S"))
        .contains("--dedupe-horizon must be zero (off) or more");
  }

  /** What {@code tally ARGS} printed on stderr, having exited with 2 before starting anything. */
  private static String refusal(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = new CommandLine(new TallyCommand()).execute(args);
    } finally {
      System.setErr(err);
    }
    assertThat(exit).as(captured.toString(StandardCharsets.UTF_8)).isEqualTo(2);
    return captured.toString(StandardCharsets.UTF_8);
  }
}
