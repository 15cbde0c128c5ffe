package dev.tally.bench;

import dev.tally.schemas.IncrementEvent;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

/** What a benchmark run sends: which counters, and whether events carry an item. */
enum Workload {
  /** Every event to one of 1M counters, uniformly. */
  UNIFORM(1_000_000, false, false),
  /** As UNIFORM, with the time windows and windowed sketches switched off: what windows cost. */
  UNIFORM_NO_WINDOWS(1_000_000, false, false),
  /** Zipf(1.1) over 1M counters: a few counters take most events. */
  ZIPF(1_000_000, false, false),
  /** As ZIPF, every event with its own {@code eventId}: what idempotent ingest costs. */
  ZIPF_IDS(1_000_000, false, true),
  /** Every event to one counter on one shard. */
  HOT(1, false, false),
  /** Every event to one counter spread over 16 shard keys. */
  HOT_SHARDED(1, false, false),
  /** Every event to one counter, coalesced in the producer (5 ms) before sending. */
  HOT_COALESCED(1, false, false),
  /** Every event to one counter on one shard, each with one of 1M items. */
  HOT_ITEMS(1, true, false),
  /** Unique visitors: 100K counters, every event with one of 1M items. */
  UNIQUES(100_000, true, false);

  private final int counters;
  private final boolean items;
  private final boolean ids;

  Workload(int counters, boolean items, boolean ids) {
    this.counters = counters;
    this.items = items;
    this.ids = ids;
  }

  int counters() {
    return counters;
  }

  /** A generator of this workload's events, seeded. */
  Generator generator(long seed) {
    return new Generator(this, seed);
  }

  static final class Generator {
    private final Workload workload;
    private final Random random;
    private final double[] zipfCdf;
    private long sequence;

    private Generator(Workload workload, long seed) {
      this.workload = workload;
      this.random = new Random(seed);
      this.zipfCdf = workload == ZIPF || workload == ZIPF_IDS ? zipfCdf(workload.counters, 1.1) : null;
    }

    /** The index of the next event's counter, in [0, counters). */
    int nextCounter() {
      return switch (workload) {
        case UNIFORM, UNIFORM_NO_WINDOWS, UNIQUES -> random.nextInt(workload.counters);
        case ZIPF, ZIPF_IDS -> {
          int index = Arrays.binarySearch(zipfCdf, random.nextDouble());
          yield Math.min(index < 0 ? -index - 1 : index, workload.counters - 1);
        }
        default -> 0;
      };
    }

    /**
     * The event, built with its constructor as Tally's own parsers build them (Avro's builder copies
     * each default: up to a tenth of the producing thread, a cost no client needs to pay).
     */
    IncrementEvent event(int counter, Instant time) {
      return new IncrementEvent(name(workload, counter), 1L,
          workload.items ? "visitor-" + random.nextInt(1_000_000) : null, time,
          workload.ids ? "event-" + sequence++ : null);
    }

    private static double[] zipfCdf(int n, double exponent) {
      double[] cdf = new double[n];
      double sum = 0;
      for (int rank = 1; rank <= n; rank++) {
        sum += 1 / Math.pow(rank, exponent);
        cdf[rank - 1] = sum;
      }
      for (int i = 0; i < n; i++) {
        cdf[i] /= sum;
      }
      return cdf;
    }
  }

  static String name(Workload workload, int counter) {
    return workload.counters == 1 ? "hot" : "c" + counter;
  }
}
