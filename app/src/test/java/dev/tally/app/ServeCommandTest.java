package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Issue 14, item 1: beyond loopback, serve needs tokens or an explicit --insecure, and says why. */
class ServeCommandTest {

  @Test
  void beyondLoopbackItNeedsTokensOrInsecure() {
    assertThat(ServeCommand.refusal("127.0.0.1", false, false)).isNull();
    assertThat(ServeCommand.refusal("localhost", false, false)).isNull();
    assertThat(ServeCommand.refusal("0.0.0.0", false, false)).contains("--auth-tokens-file").contains("--insecure");
    assertThat(ServeCommand.refusal("0.0.0.0", true, false)).isNull();
    assertThat(ServeCommand.refusal("0.0.0.0", false, true)).isNull();
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
}
