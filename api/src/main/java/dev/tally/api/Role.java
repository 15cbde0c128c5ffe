package dev.tally.api;

import io.javalin.security.RouteRole;
import java.util.Locale;

/**
 * What a bearer token may do: {@code read} counters, {@code write} increments, {@code admin} change how
 * counters are kept (shard pins). Each public route needs one role; health and metrics need none.
 */
public enum Role implements RouteRole {
  READ, WRITE, ADMIN;

  /** The role named {@code name} ({@code read}, {@code write} or {@code admin}), or an exception saying so. */
  static Role named(String name) {
    try {
      return valueOf(name.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown role '" + name + "'; roles are read, write and admin", e);
    }
  }
}
