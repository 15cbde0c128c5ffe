package dev.tally.query;

/**
 * What an instance says of itself to the others.
 *
 * @param state its Kafka Streams state
 * @param lag records its stream threads have yet to read from their input partitions, as their
 *     consumers last measured ({@code records-lag}); -1 before any was measured
 */
public record InstanceState(String state, long lag) {}
