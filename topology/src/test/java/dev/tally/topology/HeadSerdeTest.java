package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class HeadSerdeTest {

  private static final Tier SECONDS = new Tier("s", Duration.ofSeconds(1), Duration.ofHours(2));
  private static final Tier MINUTES = new Tier("m", Duration.ofMinutes(1), Duration.ofDays(7));
  private static final Tier HOURS = new Tier("h", Duration.ofHours(1), Duration.ofDays(400));

  private static HeadSerde<PnCounter> counters(List<Tier> tiers) {
    return new HeadSerde<>(new PnCounterSerde(), PnCounterSerde.PACKED, tiers);
  }

  @Test
  void aHeadReadsBackAsWritten() {
    HeadSerde<PnCounter> serde = counters(List.of(SECONDS, MINUTES, HOURS));
    Head<PnCounter> head = new Head<>(3);
    head.total = new PnCounter(Long.MAX_VALUE, 3);
    head.starts[1] = 120_000;
    head.open[1] = new PnCounter(5, 1);

    Head<PnCounter> read = serde.deserializer().deserialize("t", serde.serializer().serialize("t", head));

    assertThat(read.total).isEqualTo(head.total);
    assertThat(read.starts).containsExactly(Head.NONE, 120_000, Head.NONE);
    assertThat(read.open).containsExactly(null, new PnCounter(5, 1), null);
  }

  /** Stores written before heads hold bare totals: they read on, as heads with no open bucket. */
  @Test
  void aBareTotalOfAnEarlierBuildReadsAsAHeadWithNoOpenBucket() {
    byte[] counter = new PnCounterSerde().serializer().serialize("t", new PnCounter(1L << 62, 7));
    Head<PnCounter> read = counters(List.of(SECONDS)).deserializer().deserialize("t", counter);
    assertThat(read.total).isEqualTo(new PnCounter(1L << 62, 7));
    assertThat(read.open).containsOnlyNulls();

    HllSketch sketch = UniqueSketches.add(null, "u1", 14);
    byte[] bytes = new HllSketchSerde().serializer().serialize("t", sketch);
    Head<HllSketch> sketches = new HeadSerde<>(new HllSketchSerde(), HllSketchSerde.PACKED, List.of(HOURS)).deserializer().deserialize("t", bytes);
    assertThat(sketches.total.getEstimate()).isEqualTo(1.0);
  }

  /** Tiers are matched by size: dropping one from the configuration keeps the others' open buckets. */
  @Test
  void openBucketsFollowTheirTierWhenTheConfigurationChanges() {
    Head<PnCounter> head = new Head<>(3);
    head.total = new PnCounter(9, 0);
    for (int i = 0; i < 3; i++) {
      head.starts[i] = 3_600_000L;
      head.open[i] = new PnCounter(i + 1, 0);
    }
    byte[] bytes = counters(List.of(SECONDS, MINUTES, HOURS)).serializer().serialize("t", head);

    Head<PnCounter> read = counters(List.of(SECONDS, HOURS)).deserializer().deserialize("t", bytes);

    assertThat(read.open).containsExactly(new PnCounter(1, 0), new PnCounter(3, 0));
  }

  /**
   * A new key's head, its total and the open bucket of each of three tiers all 1, is what uniform keys
   * write with most events: in 31 bytes, where fixed-width fields took 133.
   */
  @Test
  void aNewKeysHeadTakesAFewBytesPerTier() {
    long now = 1_764_547_200_123L;
    List<Tier> tiers = List.of(SECONDS, MINUTES, HOURS);
    Head<PnCounter> head = new Head<>(3);
    head.total = new PnCounter(1, 0);
    for (int i = 0; i < 3; i++) {
      head.starts[i] = tiers.get(i).bucketStart(now);
      head.open[i] = new PnCounter(1, 0);
    }

    byte[] bytes = counters(tiers).serializer().serialize("t", head);

    assertThat(bytes).hasSize(31);
    Head<PnCounter> read = counters(tiers).deserializer().deserialize("t", bytes);
    assertThat(read.starts).containsExactly(head.starts);
    assertThat(read.open).containsExactly(head.open);
    // Negative event times (before 1970) and the largest counts read back too.
    head.total = new PnCounter(Long.MAX_VALUE, Long.MAX_VALUE);
    head.starts[0] = SECONDS.bucketStart(-1_500);
    Head<PnCounter> extreme = counters(tiers).deserializer().deserialize("t", counters(tiers).serializer().serialize("t", head));
    assertThat(extreme.total).isEqualTo(head.total);
    assertThat(extreme.starts[0]).isEqualTo(-2_000);
  }

  /** Heads written by an earlier build, in fixed-width fields (version 0x81), read on unchanged. */
  @Test
  void aFixedWidthHeadOfAnEarlierBuildReadsOn() {
    byte[] total = new PnCounterSerde().serializer().serialize("t", new PnCounter(7, 2));
    byte[] open = new PnCounterSerde().serializer().serialize("t", new PnCounter(3, 1));
    ByteBuffer fixed = ByteBuffer.allocate(1 + 4 + 16 + 4 + 2 * (8 + 8 + 4) + 16).put((byte) 0x81)
        .putInt(16).put(total).putInt(2)
        .putLong(SECONDS.sizeMs()).putLong(Head.NONE).putInt(-1)
        .putLong(HOURS.sizeMs()).putLong(7_200_000L).putInt(16).put(open);

    Head<PnCounter> read = counters(List.of(SECONDS, MINUTES, HOURS)).deserializer().deserialize("t", fixed.array());

    assertThat(read.total).isEqualTo(new PnCounter(7, 2));
    assertThat(read.starts).containsExactly(Head.NONE, Head.NONE, 7_200_000L);
    assertThat(read.open).containsExactly(null, null, new PnCounter(3, 1));
  }

  @Test
  void bytesThatAreNoHeadAreRefusedWithAReason() {
    assertThatThrownBy(() -> counters(List.of(SECONDS)).deserializer().deserialize("t", new byte[] {(byte) 0x82, 2}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("not a serialized head");
    assertThatThrownBy(() -> counters(List.of(SECONDS)).deserializer().deserialize("t", new byte[] {(byte) 0x82, 5}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("a head of -3 fields");
    assertThatThrownBy(() -> counters(List.of(SECONDS)).deserializer().deserialize("t", new byte[] {(byte) 0x82, 0, 0}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("1 bytes after a head");
    // A sketch whose length says 2^30 bytes: refused, not allocated.
    byte[] huge = {(byte) 0x82, 2, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
    assertThatThrownBy(() -> new HeadSerde<>(new HllSketchSerde(), HllSketchSerde.PACKED, List.of(HOURS))
        .deserializer().deserialize("t", huge))
        .isInstanceOf(SerializationException.class).hasMessageContaining("a sketch of 1073741824 bytes");
    assertThatThrownBy(() -> counters(List.of(SECONDS)).deserializer().deserialize("t", new byte[] {(byte) 0x90}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("unknown head version");
  }

  @Test
  void aSketchHeadReadsBackWithItsItems() {
    Tier days = new Tier("d", Duration.ofDays(1), Duration.ofDays(400));
    HeadSerde<HllSketch> serde = new HeadSerde<>(new HllSketchSerde(), HllSketchSerde.PACKED, List.of(HOURS, days));
    Head<HllSketch> head = new Head<>(2);
    for (int i = 0; i < 5_000; i++) {
      head.total = UniqueSketches.add(head.total, "visitor-" + i, 14);
    }
    head.starts[1] = days.bucketStart(1_764_547_200_123L);
    head.open[1] = UniqueSketches.add(null, "visitor-1", 14);

    Head<HllSketch> read = serde.deserializer().deserialize("t", serde.serializer().serialize("t", head));

    assertThat(read.total.getEstimate()).isEqualTo(head.total.getEstimate());
    assertThat(read.open[0]).isNull();
    assertThat(read.starts[1]).isEqualTo(head.starts[1]);
    assertThat(read.open(1).getEstimate()).isEqualTo(1.0);
  }

  /**
   * A head's array is sized from {@link PackedFormat#size} before anything is written: a sketch in each
   * of its modes (coupon list, set, dense), also one read back and updated, fills exactly that.
   */
  @Test
  void aSketchFillsTheBytesItsPackedSizeGives() {
    HllSketch sketch = null;
    int items = 0;
    for (int target : new int[] {1, 7, 8, 100, 1_000, 2_000, 5_000, 20_000}) {
      while (items < target) {
        sketch = UniqueSketches.add(sketch, "visitor-" + items++, 14);
      }
      for (HllSketch form : List.of(sketch, UniqueSketches.add(HllSketch.heapify(sketch.toCompactByteArray()), "x", 14))) {
        ByteBuffer buffer = ByteBuffer.allocate(HllSketchSerde.PACKED.size(form));
        HllSketchSerde.PACKED.write(form, buffer);
        assertThat(buffer.hasRemaining()).as("%d items: filled", target).isFalse();
        assertThat(HllSketchSerde.PACKED.read(buffer.flip()).getEstimate()).isEqualTo(form.getEstimate());
      }
    }
  }
}
