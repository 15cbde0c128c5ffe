package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.junit.jupiter.api.Test;

class WriteDownPositionTest {

  private final AtomicInteger asked = new AtomicInteger();

  @Test
  void asksTheStoreBeneathForItsPositionOncePerWriteDown() {
    WriteDownPosition store = (WriteDownPosition) WriteDownPosition.around(counted("heads")).get();

    store.getPosition();
    store.getPosition();
    assertThat(asked).as("outside a write-down, every ask goes through").hasValue(2);

    store.freeze();
    Position first = store.getPosition();
    for (int i = 0; i < 1_000; i++) {
      assertThat(store.getPosition()).isSameAs(first);
    }
    store.thaw();
    assertThat(asked).as("a write-down of 1,001 records asks once").hasValue(3);

    store.freeze();
    store.getPosition();
    store.thaw();
    store.getPosition();
    assertThat(asked).as("the next write-down asks again, and so does a read after it").hasValue(5);
  }

  @Test
  void liesUnderBothHeadStoresOfTheTopology() {
    try (TopologyTestDriver driver = TestDrivers.of(TallyConfig.defaults(), "write-down-position-test")) {
      for (String name : new String[] {StoreNames.COUNTER_TOTALS, StoreNames.UNIQUES_ALL}) {
        HeadStore<?> heads = (HeadStore<?>) driver.getStateStore(name);
        assertThat(((WrappedStateStore<?, ?, ?>) heads.wrapped()).findInner(WriteDownPosition.class)).as(name).isNotNull();
      }
    }
  }

  @Test
  void isTheStoreOfItsSuppliersName() {
    KeyValueStore<Bytes, byte[]> store = WriteDownPosition.around(Stores.inMemoryKeyValueStore("heads")).get();
    assertThat(store.name()).isEqualTo("heads");
    assertThat(WriteDownPosition.around(Stores.persistentKeyValueStore("heads")).metricsScope()).isEqualTo("rocksdb");
  }

  /** Kafka's in-memory store, counting the asks for its position. */
  private KeyValueBytesStoreSupplier counted(String name) {
    return PassingKeyValueStore.layered(Stores.inMemoryKeyValueStore(name), Counting::new);
  }

  private final class Counting extends PassingKeyValueStore {

    Counting(KeyValueStore<Bytes, byte[]> inner) {
      super(inner);
    }

    @Override
    public Position getPosition() {
      asked.incrementAndGet();
      return wrapped().getPosition();
    }
  }
}
