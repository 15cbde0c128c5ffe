package dev.tally.app;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/**
 * How log lines look on stderr: {@code text} (logback.xml's pattern) or {@code json}, one JSON object per
 * line (logback's {@link JsonEncoder}: timestamp, level, threadName, loggerName, formattedMessage,
 * throwable, mdc), for log collectors.
 */
enum LogFormat {
  TEXT, JSON;

  /** The appender logback.xml writes stderr with. */
  static final String APPENDER = "STDERR";

  /** Switches the stderr appender to this format; text is logback.xml's own. */
  void apply() {
    if (this == TEXT) {
      return;
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    OutputStreamAppender<ILoggingEvent> appender = (OutputStreamAppender<ILoggingEvent>) root.getAppender(APPENDER);
    if (appender == null) {
      return; // another logback configuration (tests): nothing of ours to switch
    }
    JsonEncoder encoder = new JsonEncoder();
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.setContext(context);
    encoder.start();
    appender.stop();
    appender.setEncoder(encoder);
    appender.start();
  }
}
