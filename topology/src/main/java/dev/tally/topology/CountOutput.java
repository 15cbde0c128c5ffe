package dev.tally.topology;

/** What {@link CountProcessor} forwards: dead letters, and once a second each active key's event count. */
sealed interface CountOutput {

  /** A record that could not be counted, with its original bytes; the reason is in the headers. */
  record DeadLetter(byte[] key, byte[] value) implements CountOutput {}

  /** How many events a shard key counted since the previous tick, a second of stream time ago. */
  record ActivityTick(long events) implements CountOutput {}
}
