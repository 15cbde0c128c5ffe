package dev.tally.topology;

import dev.tally.schemas.ShardConfig;

/** What {@link CountProcessor} forwards: dead letters, and the shard counts of counters that turned hot. */
sealed interface CountOutput {

  /** A record that could not be counted, with its original bytes; the reason is in the headers. */
  record DeadLetter(byte[] key, byte[] value) implements CountOutput {}

  /** A counter's new shard count, keyed by counter id, for {@code tally.shard-config}. */
  record ShardDecision(ShardConfig config) implements CountOutput {}
}
