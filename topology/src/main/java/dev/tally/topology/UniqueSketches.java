package dev.tally.topology;

import java.util.stream.Collector;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;

/**
 * Unique-item sketches: Apache DataSketches HLL, type {@code HLL_4} (4 bits per bucket). With
 * {@code lgK} = 14 a sketch holds 2^14 buckets in about 8 KB and estimates with a relative standard error
 * of about 0.8%; below a few hundred items it keeps the item hashes themselves and is exact up to hash
 * collisions. Every item enters through {@link #add} as a UTF-8 string; sketches are merged only
 * through the library's {@link Union}.
 */
public final class UniqueSketches {

  public static final TgtHllType TYPE = TgtHllType.HLL_4;

  private UniqueSketches() {}

  /** {@code sketch} (or a new empty one of {@code lgK}) after adding {@code item}. */
  public static HllSketch add(HllSketch sketch, String item, int lgK) {
    HllSketch target = sketch == null ? new HllSketch(lgK, TYPE) : sketch;
    target.update(item);
    return target;
  }

  /** An empty union that accepts sketches of any lgK up to {@code lgK}. */
  public static Union union(int lgK) {
    return new Union(lgK);
  }

  /** The union's result as an {@code HLL_4} sketch. */
  public static HllSketch result(Union union) {
    return union.getResult(TYPE);
  }

  /** The sketch of the union of {@code a} and {@code b}. */
  public static HllSketch merge(HllSketch a, HllSketch b, int lgK) {
    Union union = union(lgK);
    union.update(a);
    union.update(b);
    return result(union);
  }

  /** Gathers sketches (shards, windows, counters) into the sketch of their union. */
  public static Collector<HllSketch, Union, HllSketch> unionOf(int lgK) {
    return Collector.of(() -> union(lgK), Union::update,
        (a, b) -> {
          a.update(result(b));
          return a;
        },
        UniqueSketches::result);
  }
}
