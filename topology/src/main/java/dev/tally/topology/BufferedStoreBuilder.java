package dev.tally.topology;

import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Builds a write-back buffered store around the store an inner builder makes (metered, changelogged,
 * RocksDB, no record cache). Name, logging and its topic settings are the inner builder's, so the
 * changelog topic is the one the store had before it was buffered.
 */
final class BufferedStoreBuilder<I extends StateStore, T extends StateStore> implements StoreBuilder<T> {

  private final StoreBuilder<I> inner;
  private final Function<I, T> wrap;

  BufferedStoreBuilder(StoreBuilder<I> inner, Function<I, T> wrap) {
    this.inner = inner.withCachingDisabled();
    this.wrap = wrap;
  }

  @Override
  public StoreBuilder<T> withCachingEnabled() {
    throw new UnsupportedOperationException("a buffered store is its own cache");
  }

  @Override
  public StoreBuilder<T> withCachingDisabled() {
    return this;
  }

  @Override
  public StoreBuilder<T> withLoggingEnabled(Map<String, String> config) {
    inner.withLoggingEnabled(config);
    return this;
  }

  @Override
  public StoreBuilder<T> withLoggingDisabled() {
    inner.withLoggingDisabled();
    return this;
  }

  @Override
  public T build() {
    return wrap.apply(inner.build());
  }

  @Override
  public Map<String, String> logConfig() {
    return inner.logConfig();
  }

  @Override
  public boolean loggingEnabled() {
    return inner.loggingEnabled();
  }

  @Override
  public String name() {
    return inner.name();
  }
}
