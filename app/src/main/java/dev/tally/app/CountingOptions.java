package dev.tally.app;

import dev.tally.topology.TallyConfig;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options that decide what the topology counts, shared by {@code tally serve} and {@code tally
 * replay}: a replay given other values than the instances it replaces counts other totals.
 */
final class CountingOptions {

  @Option(names = "--hot-events-per-second", defaultValue = "10000",
      description = "A counter above this rate per shard gets four times the shards (default: ${DEFAULT-VALUE}).")
  double hotEventsPerSecond;

  @Option(names = "--dedupe-horizon", defaultValue = "PT24H",
      description = "How long an event's eventId is remembered per counter, so that a retry is not counted "
          + "twice; ISO-8601, PT0S turns it off (default: ${DEFAULT-VALUE}).")
  Duration dedupeHorizon;

  @Option(names = "--max-future-skew", defaultValue = "PT1H",
      description = "How far an event's time may lead the time Kafka wrote it; further goes to the dead-letter "
          + "topic as invalid (a client with a fast clock). ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration maxFutureSkew;

  /** Why these values cannot count, or null. */
  String refusal() {
    if (!(hotEventsPerSecond > 0)) {
      return "--hot-events-per-second must be above 0, got " + hotEventsPerSecond;
    }
    if (dedupeHorizon.isNegative()) {
      return "--dedupe-horizon must be zero (off) or more, got " + dedupeHorizon;
    }
    if (maxFutureSkew.isNegative()) {
      return "--max-future-skew must be zero or more, got " + maxFutureSkew;
    }
    return null;
  }

  TallyConfig topology() {
    return TallyConfig.defaults().withHotEventsPerSecond(hotEventsPerSecond).withDedupeHorizon(dedupeHorizon)
        .withMaxFutureSkew(maxFutureSkew);
  }
}
