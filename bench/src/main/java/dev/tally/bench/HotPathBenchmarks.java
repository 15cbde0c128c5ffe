package dev.tally.bench;

import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.IncrementEventSerde;
import dev.tally.topology.HllSketchSerde;
import dev.tally.topology.PnCounter;
import dev.tally.topology.PnCounterSerde;
import dev.tally.topology.UniqueSketches;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.datasketches.hll.HllSketch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The inner paths each event takes: decode, PN-counter update with its serde, sketch update and union. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmarks {

  private final IncrementEventSerde eventSerde = new IncrementEventSerde();
  private final PnCounterSerde counterSerde = new PnCounterSerde();
  private final HllSketchSerde sketchSerde = new HllSketchSerde();
  private byte[] encodedEvent;
  private byte[] storedCounter;
  private byte[] storedSketch;
  private List<HllSketch> sketches;
  private long item;

  @Setup
  public void setUp() {
    encodedEvent = eventSerde.encode(IncrementEvent.newBuilder().setCounter("page:12345").setDelta(1)
        .setEventTime(Instant.now()).build());
    storedCounter = counterSerde.serializer().serialize("t", new PnCounter(123_456, 789));
    HllSketch sketch = null;
    for (int i = 0; i < 1_000_000; i++) {
      sketch = UniqueSketches.add(sketch, "visitor-" + i, 14);
    }
    storedSketch = sketchSerde.serializer().serialize("t", sketch);
    sketches = new ArrayList<>();
    for (int s = 0; s < 50; s++) {
      HllSketch part = null;
      for (int i = 0; i < 10_000; i++) {
        part = UniqueSketches.add(part, "v" + s + "-" + i, 14);
      }
      sketches.add(part);
    }
  }

  @Benchmark
  public IncrementEvent decodeEvent() {
    return eventSerde.decode(encodedEvent);
  }

  @Benchmark
  public byte[] encodeEvent() {
    return eventSerde.encode(IncrementEvent.newBuilder().setCounter("page:12345").setDelta(1)
        .setEventTime(Instant.ofEpochMilli(1_764_417_600_000L)).build());
  }

  /** What the counting processor does to a total: read the stored bytes, add, write them back. */
  @Benchmark
  public byte[] pnCounterAggregate() {
    PnCounter current = counterSerde.deserializer().deserialize("t", storedCounter);
    return counterSerde.serializer().serialize("t", current.plus(1));
  }

  /** What one item costs each sketch store: read the compact sketch, add the item, write it back. */
  @Benchmark
  public byte[] sketchUpdateStored() {
    HllSketch sketch = sketchSerde.deserializer().deserialize("t", storedSketch);
    return sketchSerde.serializer().serialize("t", UniqueSketches.add(sketch, "visitor-x" + item++, 14));
  }

  /** A 50-sketch union, as a read of 50 counters' sketches does. */
  @Benchmark
  public double sketchUnionOfFifty() {
    return sketches.stream().collect(UniqueSketches.unionOf(14)).getEstimate();
  }
}
