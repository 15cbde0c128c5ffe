package dev.tally.query;

import dev.tally.topology.PnCounter;

/** The all-time value of a counter, merged over its shards. */
public record CounterTotal(String counter, long total, long increments, long decrements, int shards) {

  static CounterTotal of(String counter, PnCounter value, int shards) {
    return new CounterTotal(counter, value.total(), value.increments(), value.decrements(), shards);
  }
}
