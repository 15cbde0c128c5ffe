package dev.tally.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.junit.jupiter.api.Test;

class IncrementEventSerdeTest {

  private static final Schema OLDER = load("IncrementEvent-older.avsc");
  private static final Schema NEWER = load("IncrementEvent-newer.avsc");
  private static final Schema INCOMPATIBLE = load("IncrementEvent-incompatible.avsc");

  @Test
  void roundTripsTheCurrentSchema() {
    IncrementEventSerde serde = new IncrementEventSerde();
    IncrementEvent event = IncrementEvent.newBuilder()
        .setCounter("page:42").setDelta(-7).setItem("u1")
        .setEventTime(Instant.ofEpochMilli(1_764_417_600_250L)).setEventId("e-1").build();

    byte[] bytes = serde.serializer().serialize("t", event);

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(event);
  }

  @Test
  void historyHoldsTheCurrentSchema() {
    long current = SchemaNormalization.parsingFingerprint64(IncrementEvent.getClassSchema());
    assertThat(SchemaHistory.incrementEventVersions())
        .as("add the changed IncrementEvent.avsc to history/ so its records stay readable")
        .extracting(SchemaNormalization::parsingFingerprint64)
        .contains(current);
  }

  @Test
  void historyHoldsTheCurrentShardConfigSchema() {
    assertThat(SchemaHistory.versions("ShardConfig"))
        .extracting(SchemaNormalization::parsingFingerprint64)
        .contains(SchemaNormalization.parsingFingerprint64(ShardConfig.getClassSchema()));
    ShardConfig config = ShardConfig.newBuilder().setCounter("hot").setShards(16).setReason("auto")
        .setEventsPerSecond(52_000.5).setDecidedAt(Instant.ofEpochMilli(5)).build();
    ShardConfigSerde serde = new ShardConfigSerde();
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", config))).isEqualTo(config);
  }

  @Test
  void readsARecordWrittenWithAnOlderSchema() {
    GenericRecord older = new GenericRecordBuilder(OLDER)
        .set("counter", "old").set("delta", 5L).set("eventTime", 1_000L).build();

    IncrementEvent event = storeWith(OLDER).decode(encode(OLDER, older));

    assertThat(event.getCounter()).isEqualTo("old");
    assertThat(event.getDelta()).isEqualTo(5L);
    assertThat(event.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_000L));
    assertThat(event.getItem()).isNull();
    assertThat(event.getEventId()).isNull();
  }

  @Test
  void readsARecordWrittenWithANewerSchema() {
    GenericRecord newer = new GenericRecordBuilder(NEWER)
        .set("counter", "new").set("delta", 3L).set("item", "u9").set("eventTime", 2_000L)
        .set("region", "eu").build();

    IncrementEvent event = storeWith(NEWER).decode(encode(NEWER, newer));

    assertThat(event.getCounter()).isEqualTo("new");
    assertThat(event.getDelta()).isEqualTo(3L);
    assertThat(event.getItem()).isEqualTo("u9");
  }

  @Test
  void rejectsAnIncompatibleSchemaClearly() {
    GenericRecord bad = new GenericRecordBuilder(INCOMPATIBLE)
        .set("counter", "c").set("delta", "ten").set("eventTime", 1L).build();

    assertThatThrownBy(() -> storeWith(INCOMPATIBLE).decode(encode(INCOMPATIBLE, bad)))
        .isInstanceOfSatisfying(EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(EventDecodingException.Reason.INCOMPATIBLE_SCHEMA))
        .hasMessageContaining("cannot be read as the current one")
        .hasMessageContaining("delta");
  }

  @Test
  void rejectsAnUnregisteredSchema() {
    GenericRecord newer = new GenericRecordBuilder(NEWER)
        .set("counter", "c").set("delta", 1L).set("eventTime", 1L).build();

    assertThatThrownBy(() -> new IncrementEventSerde().decode(encode(NEWER, newer)))
        .isInstanceOfSatisfying(EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(EventDecodingException.Reason.UNKNOWN_SCHEMA))
        .hasMessageContaining("unknown schema fingerprint");
  }

  @Test
  void rejectsCorruptBytes() {
    IncrementEventSerde serde = new IncrementEventSerde();
    byte[] valid = serde.encode(IncrementEvent.newBuilder()
        .setCounter("c").setDelta(1).setEventTime(Instant.EPOCH).build());
    byte[] truncated = java.util.Arrays.copyOf(valid, valid.length - 3);

    for (byte[] corrupt : new byte[][] {"hello".getBytes(), new byte[0], truncated}) {
      assertThatThrownBy(() -> serde.decode(corrupt))
          .isInstanceOfSatisfying(EventDecodingException.class,
              e -> assertThat(e.reason()).isEqualTo(EventDecodingException.Reason.CORRUPT));
    }
  }

  private static IncrementEventSerde storeWith(Schema extra) {
    SchemaStore.Cache store = SchemaHistory.incrementEventStore();
    store.addSchema(extra);
    return new IncrementEventSerde(store);
  }

  private static byte[] encode(Schema schema, GenericRecord record) {
    try {
      ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Schema load(String name) {
    try (InputStream in = IncrementEventSerdeTest.class.getResourceAsStream("/schemas/" + name)) {
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
