/**
 * Composition root: the {@code tally} command, {@link dev.tally.app.TallyNode} (broker, topics, Streams,
 * producer and HTTP wired together and closed in reverse) and the in-process KRaft
 * {@link dev.tally.app.EmbeddedBroker} of the default run. Holds no business logic.
 */
package dev.tally.app;
