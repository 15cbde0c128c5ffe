package dev.tally.topology;

/**
 * Names of the state stores. Renaming one is a breaking change: it orphans the store's changelog.
 */
public final class StoreNames {

  /** Key-value: shard key to {@link PnCounter}, all time. */
  public static final String COUNTER_TOTALS = "counter-totals";
  /** Window stores: shard key and bucket start to {@link PnCounter}, one per default tier. */
  public static final String COUNTS_1S = "counts-1s";
  public static final String COUNTS_1M = "counts-1m";
  public static final String COUNTS_1H = "counts-1h";
  /** Key-value: shard key to the {@code HllSketch} of its items, all time. */
  public static final String UNIQUES_ALL = "uniques-all";
  /** Window stores: shard key and bucket start to the {@code HllSketch} of that hour's or day's items. */
  public static final String UNIQUES_1H = "uniques-1h";
  public static final String UNIQUES_1D = "uniques-1d";
  /**
   * Key-value: the task's stream time, which decides what is late, and the offset of its last
   * processed record of each input topic, which every store of the task has seen.
   */
  public static final String STREAM_TIME = "stream-time";

  /** Window store, 1 s windows: each task's busiest counters of each second ({@code TopCounters}). */
  public static final String TOP_1S = "top-1s";

  /**
   * Window store: {@code counter/eventId} at the timestamp of the record that first carried it, kept
   * for the dedupe horizon ({@link TallyConfig#dedupeHorizon}).
   */
  public static final String EVENT_IDS = "event-ids";

  /** Global key-value: counter id to its {@code ShardConfig}, from {@code tally.shard-config}. */
  public static final String SHARD_CONFIG = "shard-config";

  private StoreNames() {}
}
