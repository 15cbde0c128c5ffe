package dev.tally.query;

import java.util.NavigableMap;

/**
 * What a {@link StoreRead} found: the value (key-value stores; null when absent) or the windows by start
 * (window stores), and whether a standby copy answered, with its offset lag behind the active.
 */
public record Fetched(Object value, NavigableMap<Long, Object> windows, boolean standby, long lag) {}
