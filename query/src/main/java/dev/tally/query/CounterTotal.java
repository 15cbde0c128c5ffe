package dev.tally.query;

import dev.tally.topology.PnCounter;
import java.math.BigInteger;
import java.util.Collection;

/**
 * The all-time value of a counter, merged over its shards. Each shard's parts fit in a {@code long}, but
 * their sum may not (two shards each at 2^63-1), so the merged parts are exact integers of any size.
 */
public record CounterTotal(String counter, BigInteger total, BigInteger increments, BigInteger decrements,
    int shards) {

  static CounterTotal of(String counter, Collection<PnCounter> shardValues, int shards) {
    BigInteger increments = BigInteger.ZERO;
    BigInteger decrements = BigInteger.ZERO;
    for (PnCounter value : shardValues) {
      increments = increments.add(BigInteger.valueOf(value.increments()));
      decrements = decrements.add(BigInteger.valueOf(value.decrements()));
    }
    return new CounterTotal(counter, increments.subtract(decrements), increments, decrements, shards);
  }
}
