package dev.tally.topology;

import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

/**
 * RocksDB settings for the head stores, on top of Kafka Streams' defaults: a bloom filter over whole keys
 * in the memtable. Every event reads its key's head; a key new to the store is looked for in the
 * memtable's skip list first, and on uniform keys most are new.
 */
public final class HeadStoreRocksDBConfig implements RocksDBConfigSetter {

  private static final Set<String> HEAD_STORES = Set.of(StoreNames.COUNTER_TOTALS, StoreNames.UNIQUES_ALL);
  /** Of the write buffer (16 MiB): a filter of about 330 KB, 13 bits a key at 200,000 keys a memtable. */
  static final double MEMTABLE_BLOOM_RATIO = 0.02;

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    if (HEAD_STORES.contains(storeName)) {
      options.setMemtableWholeKeyFiltering(true);
      options.setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO);
    }
  }

  @Override
  public void close(String storeName, Options options) {}
}
