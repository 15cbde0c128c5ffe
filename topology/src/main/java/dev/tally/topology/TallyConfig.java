package dev.tally.topology;

/**
 * What the topology is a function of.
 *
 * @param incrementsTopic where increment events are read from
 * @param dlqTopic where records that could not be counted are written, with their reason in headers
 */
public record TallyConfig(String incrementsTopic, String dlqTopic) {

  public static final String INCREMENTS_TOPIC = "tally.increments";
  public static final String DLQ_TOPIC = "tally.dlq";

  public static TallyConfig defaults() {
    return new TallyConfig(INCREMENTS_TOPIC, DLQ_TOPIC);
  }
}
