package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.Test;

class HeadSerdeTest {

  private static final Tier SECONDS = new Tier("s", Duration.ofSeconds(1), Duration.ofHours(2));
  private static final Tier MINUTES = new Tier("m", Duration.ofMinutes(1), Duration.ofDays(7));
  private static final Tier HOURS = new Tier("h", Duration.ofHours(1), Duration.ofDays(400));

  @Test
  void aHeadReadsBackAsWritten() {
    HeadSerde<PnCounter> serde = new HeadSerde<>(new PnCounterSerde(), List.of(SECONDS, MINUTES, HOURS));
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
    Head<PnCounter> read = new HeadSerde<>(new PnCounterSerde(), List.of(SECONDS)).deserializer().deserialize("t", counter);
    assertThat(read.total).isEqualTo(new PnCounter(1L << 62, 7));
    assertThat(read.open).containsOnlyNulls();

    HllSketch sketch = UniqueSketches.add(null, "u1", 14);
    byte[] bytes = new HllSketchSerde().serializer().serialize("t", sketch);
    Head<HllSketch> sketches = new HeadSerde<>(new HllSketchSerde(), List.of(HOURS)).deserializer().deserialize("t", bytes);
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
    byte[] bytes = new HeadSerde<>(new PnCounterSerde(), List.of(SECONDS, MINUTES, HOURS)).serializer().serialize("t", head);

    Head<PnCounter> read = new HeadSerde<>(new PnCounterSerde(), List.of(SECONDS, HOURS)).deserializer().deserialize("t", bytes);

    assertThat(read.open).containsExactly(new PnCounter(1, 0), new PnCounter(3, 0));
  }
}
