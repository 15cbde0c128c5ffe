package dev.tally.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.junit.jupiter.api.Test;

class IncrementEventSerdeTest {

  /** Marker and fingerprint before an Avro single-object encoded body. */
  private static final int HEADER = 10;

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

  /** The current schema's records are read field by field (IncrementEventSerde.readCurrent): in this order. */
  @Test
  void theCurrentSchemaHasTheFieldsItsFastReaderReads() {
    assertThat(IncrementEvent.getClassSchema().getFields())
        .as("IncrementEvent changed: change IncrementEventSerde.readCurrent to read its fields, then this list")
        .extracting(field -> field.name() + ":" + SchemaNormalization.toParsingForm(field.schema()))
        .containsExactly(
            "counter:\"string\"",
            "delta:\"long\"",
            "item:[\"null\",\"string\"]",
            "eventTime:\"long\"",
            "eventId:[\"null\",\"string\"]");
  }

  @Test
  void writesAndReadsTheCurrentSchemaAsAvrosOwnCodersDo() throws IOException {
    IncrementEventSerde serde = new IncrementEventSerde();
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      IncrementEvent event = IncrementEvent.newBuilder()
          .setCounter(text(random, 1 + random.nextInt(200)))
          .setDelta(switch (random.nextInt(4)) {
            case 0 -> Long.MIN_VALUE + random.nextInt(3);
            case 1 -> Long.MAX_VALUE - random.nextInt(3);
            default -> random.nextLong() >> random.nextInt(64);
          })
          .setItem(random.nextBoolean() ? null : text(random, random.nextInt(300)))
          .setEventTime(Instant.ofEpochMilli(random.nextLong() >> 20))
          .setEventId(random.nextBoolean() ? null : text(random, random.nextInt(100)))
          .build();
      byte[] bytes = serde.encode(event);

      assertThat(bytes).as("event %d", i).isEqualTo(IncrementEvent.getEncoder().encode(event).array());
      assertThat(serde.decode(bytes)).as("event %d", i)
          .isEqualTo(IncrementEvent.getDecoder().decode(bytes))
          .isEqualTo(event);
    }
  }

  /**
   * Damaged bodies (bytes changed, records cut short or run on) are read as Avro's own reader reads them:
   * the same event when it reads one, and refused as corrupt when it refuses.
   */
  @Test
  void readsDamagedBodiesAsAvrosOwnReaderDoes() {
    IncrementEventSerde serde = new IncrementEventSerde();
    Random random = new Random(7);
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      IncrementEvent event = IncrementEvent.newBuilder()
          .setCounter(text(random, 1 + random.nextInt(20)))
          .setDelta(random.nextLong() >> random.nextInt(64))
          .setItem(random.nextBoolean() ? null : text(random, random.nextInt(20)))
          .setEventTime(Instant.ofEpochMilli(random.nextLong() >> 20))
          .setEventId(random.nextBoolean() ? null : text(random, random.nextInt(10)))
          .build();
      byte[] bytes = serde.encode(event);
      byte[] damaged = switch (random.nextInt(3)) {
        case 0 -> java.util.Arrays.copyOf(bytes, HEADER + 1 + random.nextInt(bytes.length - HEADER - 1));
        case 1 -> java.util.Arrays.copyOf(bytes, bytes.length + 1 + random.nextInt(12));
        default -> bytes.clone();
      };
      for (int changes = random.nextInt(3); changes >= 0; changes--) {
        damaged[HEADER + random.nextInt(damaged.length - HEADER)] = (byte) random.nextInt(256);
      }

      IncrementEvent avros;
      try {
        avros = IncrementEvent.getDecoder().decode(damaged);
      } catch (IOException | RuntimeException e) {
        refused++;
        assertThatThrownBy(() -> serde.decode(damaged)).as("record %d, refused by Avro: %s", i, e)
            .isInstanceOfSatisfying(EventDecodingException.class,
                refusal -> assertThat(refusal.reason()).isEqualTo(EventDecodingException.Reason.CORRUPT));
        continue;
      }
      assertThat(serde.decode(damaged)).as("record %d", i).isEqualTo(avros);
    }
    assertThat(refused).as("records Avro refused").isBetween(2_000, 18_000);
  }

  /** Any code points, multi-byte UTF-8 among them. */
  private static String text(Random random, int length) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < length; i++) {
      text.appendCodePoint(random.nextInt(4) == 0 ? 0x80 + random.nextInt(0xD800 - 0x80) : 0x20 + random.nextInt(0x5f));
    }
    return text.toString();
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
    byte[] badUnion = valid.clone();
    badUnion[HEADER + 1 + 1 + 1] = 8; // counter "c" (length, byte), delta 1, then item's branch: 4, no such branch

    for (byte[] corrupt : new byte[][] {"hello".getBytes(), new byte[0], truncated, badUnion}) {
      assertThatThrownBy(() -> serde.decode(corrupt))
          .isInstanceOfSatisfying(EventDecodingException.class,
              e -> assertThat(e.reason()).isEqualTo(EventDecodingException.Reason.CORRUPT));
    }
  }

  /** A string length of a gigabyte in a record of a few bytes: refused as corrupt, nothing allocated for it. */
  @Test
  void refusesAStringLongerThanTheRecord() {
    IncrementEventSerde serde = new IncrementEventSerde();
    byte[] valid = serde.encode(IncrementEvent.newBuilder()
        .setCounter("c").setDelta(1).setEventTime(Instant.EPOCH).build());
    byte[] huge = java.util.Arrays.copyOf(valid, HEADER + 5);
    // zigzag varint of 1,000,000,000: 2,000,000,000 = 0x77359400
    byte[] length = {(byte) 0x80, (byte) 0xA8, (byte) 0xD6, (byte) 0xB9, 0x07};
    System.arraycopy(length, 0, huge, HEADER, length.length);

    assertThatThrownBy(() -> serde.decode(huge))
        .isInstanceOfSatisfying(EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(EventDecodingException.Reason.CORRUPT))
        .hasMessageContaining("a string of 1000000000 bytes");
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
