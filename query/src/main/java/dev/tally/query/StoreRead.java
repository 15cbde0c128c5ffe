package dev.tally.query;

/**
 * One read of one shard key in one store: its value in a key-value store, or its windows with start in
 * [fromStart, toStart] in a window store.
 */
public record StoreRead(String store, String key, Long fromStart, Long toStart) {

  public static StoreRead value(String store, String key) {
    return new StoreRead(store, key, null, null);
  }

  public static StoreRead windows(String store, String key, long fromStart, long toStart) {
    return new StoreRead(store, key, fromStart, toStart);
  }

  public boolean isWindowed() {
    return fromStart != null;
  }
}
