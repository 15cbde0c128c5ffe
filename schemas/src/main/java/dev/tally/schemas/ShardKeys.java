package dev.tally.schemas;

import org.apache.kafka.common.utils.Utils;

/**
 * Shard keys: shard 0 of counter {@code c} is {@code c}, shard k &gt; 0 is {@code c#k}. Every store is keyed
 * by shard key; reads merge the shards of a counter.
 */
public final class ShardKeys {

  /** Shard counts go 1, 4, 16, 64; no counter has more. */
  public static final int MAX_SHARDS = 64;

  /** Whether {@code shards} is a shard count a counter can have: 1, 4, 16 or 64. */
  public static boolean isValidCount(int shards) {
    return shards == 1 || shards == 4 || shards == 16 || shards == 64;
  }
  private static final char SEPARATOR = '#';

  private ShardKeys() {}

  public static String of(String counter, int shard) {
    if (shard < 0 || shard >= MAX_SHARDS) {
      throw new IllegalArgumentException("shard must be in [0, " + MAX_SHARDS + "), got " + shard);
    }
    return shard == 0 ? counter : counter + SEPARATOR + shard;
  }

  /**
   * The partition of a shard key (its UTF-8 bytes) among {@code partitions}: where Kafka's default
   * partitioner, and so Kafka Streams' {@code queryMetadataForKey}, places it.
   */
  public static int partitionOf(byte[] key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key)) % partitions;
  }

  /** The counter a shard key belongs to: {@code c} for {@code c} and for {@code c#k}. */
  public static String counterOf(String key) {
    int separator = key.lastIndexOf(SEPARATOR);
    return separator < 0 ? key : key.substring(0, separator);
  }

  /** True if {@code key} is {@code counter} itself or {@code counter#k} for a k in [1, 64). */
  public static boolean belongsTo(String key, String counter) {
    if (key.equals(counter)) {
      return true;
    }
    if (key.length() <= counter.length() + 1 || !key.startsWith(counter)
        || key.charAt(counter.length()) != SEPARATOR) {
      return false;
    }
    String shard = key.substring(counter.length() + 1);
    if (shard.length() > 2 || shard.startsWith("0") || !shard.chars().allMatch(Character::isDigit)) {
      return false;
    }
    return Integer.parseInt(shard) < MAX_SHARDS;
  }
}
