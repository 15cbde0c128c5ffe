package dev.tally.query;

import dev.tally.topology.HllSketchSerde;
import dev.tally.topology.PnCounterSerde;
import dev.tally.topology.StoreNames;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Tier;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/** The value serde of each queryable store, for values that travel between instances. */
public final class StoreSerdes {

  private final Map<String, Serde<Object>> serdes = new HashMap<>();

  public StoreSerdes(TallyConfig config) {
    put(StoreNames.COUNTER_TOTALS, new PnCounterSerde());
    config.tiers().stream().map(Tier::store).forEach(store -> put(store, new PnCounterSerde()));
    put(StoreNames.UNIQUES_ALL, new HllSketchSerde());
    config.uniqueTiers().stream().map(Tier::store).forEach(store -> put(store, new HllSketchSerde()));
  }

  @SuppressWarnings("unchecked")
  private void put(String store, Serde<?> serde) {
    serdes.put(store, (Serde<Object>) serde);
  }

  /** True if values of {@code store} can travel between instances. */
  public boolean knows(String store) {
    return serdes.containsKey(store);
  }

  public byte[] serialize(String store, Object value) {
    return serde(store).serializer().serialize(store, value);
  }

  public Object deserialize(String store, byte[] bytes) {
    return serde(store).deserializer().deserialize(store, bytes);
  }

  private Serde<Object> serde(String store) {
    Serde<Object> serde = serdes.get(store);
    if (serde == null) {
      throw new IllegalArgumentException("store " + store + " cannot be read remotely");
    }
    return serde;
  }
}
