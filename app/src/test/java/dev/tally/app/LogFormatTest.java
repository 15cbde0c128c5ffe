package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Issue 16, item 6: {@code --log-format json} writes one JSON object per log line on stderr. */
class LogFormatTest {

  @Test
  void jsonLogLinesAreOneObjectEach() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    // As logback.xml has it: text on stderr.
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setName(LogFormat.APPENDER);
    stderr.setTarget("System.err");
    stderr.setContext(context);
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setPattern("%-5level %logger - %msg%n");
    text.setContext(context);
    text.start();
    stderr.setEncoder(text);
    stderr.start();
    root.addAppender(stderr);

    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LogFormat.JSON.apply();
      org.slf4j.Logger log = LoggerFactory.getLogger("dev.tally.test");
      log.warn("counted {} events of \"{}\"", 3, "page:home");
      log.error("a failure", new IllegalStateException("broken"));
    } finally {
      System.setErr(original);
      root.detachAppender(stderr);
      stderr.stop();
    }

    List<JsonNode> lines = new ArrayList<>();
    for (String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(new ObjectMapper().readTree(line));
      }
    }
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).path("level").asText()).isEqualTo("WARN");
    assertThat(lines.get(0).path("loggerName").asText()).isEqualTo("dev.tally.test");
    assertThat(lines.get(0).path("formattedMessage").asText()).isEqualTo("counted 3 events of \"page:home\"");
    assertThat(lines.get(0).path("timestamp").asLong()).isPositive();
    assertThat(lines.get(1).path("throwable").path("message").asText()).isEqualTo("broken");
  }
}
