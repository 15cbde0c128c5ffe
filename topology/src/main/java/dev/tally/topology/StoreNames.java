package dev.tally.topology;

/**
 * Names of the state stores. Renaming one is a breaking change: it orphans the store's changelog.
 */
public final class StoreNames {

  /** Key-value: shard key to {@link PnCounter}, all time. */
  public static final String COUNTER_TOTALS = "counter-totals";

  private StoreNames() {}
}
