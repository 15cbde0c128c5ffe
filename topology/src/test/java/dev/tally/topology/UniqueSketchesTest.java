package dev.tally.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Accuracy of the unique sketches at Tally's default lgK 14, HLL_4. */
class UniqueSketchesTest {

  private static final Logger log = LoggerFactory.getLogger(UniqueSketchesTest.class);
  private static final int LG_K = 14;

  @Test
  void everyEstimateLiesWithinItsThreeSigmaBounds() {
    for (int n : new int[] {1, 10, 1_000, 100_000, 1_000_000}) {
      HllSketch sketch = sketchOf(n, 99);
      assertThat((double) n).as("n = %d, estimate %.1f", n, sketch.getEstimate())
          .isBetween(sketch.getLowerBound(3), sketch.getUpperBound(3));
    }
  }

  @Test
  void smallCardinalitiesAreExact() {
    for (int n : new int[] {1, 2, 10, 100, 500, 1_000}) {
      assertThat(Math.round(sketchOf(n, 5).getEstimate())).as("n = %d", n).isEqualTo(n);
    }
  }

  @Test
  void relativeStandardErrorOverFiftyTrialsIsAtMostNinePerMille() {
    int n = 100_000;
    double sumOfSquares = 0;
    for (int trial = 0; trial < 50; trial++) {
      double error = sketchOf(n, 1_000 + trial).getEstimate() / n - 1;
      sumOfSquares += error * error;
    }
    double rse = Math.sqrt(sumOfSquares / 50);
    log.info("measured relative standard error at n = {}: {}", n, rse);
    assertThat(rse).isLessThanOrEqualTo(0.009);
  }

  @Test
  void aSketchOfAMillionItemsIsSmallerThanRedisTwelveKilobytes() {
    byte[] stored = new HllSketchSerde().serializer().serialize("t", sketchOf(1_000_000, 3));
    log.info("bytes per stored sketch at n = 1,000,000: {}", stored.length);
    assertThat(stored.length).isLessThan(12 * 1024);
    assertThat(new HllSketchSerde().deserializer().deserialize("t", stored).getEstimate())
        .isEqualTo(sketchOf(1_000_000, 3).getEstimate());
  }

  @Test
  void unionOfTwoCountersSharingHalfTheirItemsIsRight() {
    HllSketch a = new HllSketch(LG_K, UniqueSketches.TYPE);
    HllSketch b = new HllSketch(LG_K, UniqueSketches.TYPE);
    for (int i = 0; i < 200_000; i++) {
      a.update("v" + i);
      b.update("v" + (i + 100_000));
    }
    HllSketch union = Stream.of(a, b).collect(UniqueSketches.unionOf(LG_K));

    assertThat(300_000.0).isBetween(union.getLowerBound(2), union.getUpperBound(2));
  }

  @Test
  void unionIsTheSketchOfAllTheItems() {
    HllSketch all = new HllSketch(LG_K, UniqueSketches.TYPE);
    List<HllSketch> parts = List.of(new HllSketch(LG_K, UniqueSketches.TYPE),
        new HllSketch(LG_K, UniqueSketches.TYPE), new HllSketch(LG_K, UniqueSketches.TYPE));
    Random random = new Random(11);
    for (int i = 0; i < 300_000; i++) {
      String item = "w" + random.nextInt(150_000);
      all.update(item);
      parts.get(random.nextInt(parts.size())).update(item);
    }
    HllSketch union = parts.stream().collect(UniqueSketches.unionOf(LG_K));

    assertThat(union.getEstimate()).isBetween(all.getLowerBound(2), all.getUpperBound(2));
  }

  private static HllSketch sketchOf(int n, long seed) {
    HllSketch sketch = null;
    String prefix = "item-" + new Random(seed).nextLong() + "-";
    for (int i = 0; i < n; i++) {
      sketch = UniqueSketches.add(sketch, prefix + i, LG_K);
    }
    return sketch;
  }
}
