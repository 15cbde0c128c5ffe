package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class HeadStoreRocksDBConfigTest {

  static {
    RocksDB.loadLibrary();
  }

  private final HeadStoreRocksDBConfig config = new HeadStoreRocksDBConfig();

  @Test
  void givesEveryHeadStoreAMemtableFilterOverWholeKeys() {
    for (String head : new String[] {StoreNames.COUNTER_TOTALS, StoreNames.UNIQUES_ALL}) {
      try (Options options = new Options()) {
        config.setConfig(head, options, Map.of());
        assertThat(options.memtableWholeKeyFiltering()).as(head).isTrue();
        assertThat(options.memtablePrefixBloomSizeRatio()).as(head)
            .isEqualTo(HeadStoreRocksDBConfig.MEMTABLE_BLOOM_RATIO);
      }
    }
  }

  @Test
  void leavesTheOtherStoresAsKafkaStreamsSetsThem() {
    for (String other : new String[] {StoreNames.COUNTS_1S, StoreNames.UNIQUES_1D, StoreNames.STREAM_TIME,
        StoreNames.EVENT_IDS}) {
      try (Options options = new Options()) {
        config.setConfig(other, options, Map.of());
        assertThat(options.memtableWholeKeyFiltering()).as(other).isFalse();
        assertThat(options.memtablePrefixBloomSizeRatio()).as(other).isZero();
      }
    }
  }
}
