package dev.tally.schemas;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Counter ids are 1-200 characters of {@code [A-Za-z0-9._:-]}. {@code #} is reserved for shard keys,
 * so no counter id can be mistaken for a shard of another.
 */
public final class CounterIds {

  public static final int MAX_LENGTH = 200;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

  private CounterIds() {}

  /** What is wrong with {@code id}, or empty if it is a valid counter id. */
  public static Optional<String> problem(String id) {
    if (id == null || id.isEmpty()) {
      return Optional.of("counter id is missing");
    }
    if (id.length() > MAX_LENGTH) {
      return Optional.of("counter id is " + id.length() + " characters long; at most " + MAX_LENGTH + " are allowed");
    }
    if (!VALID.matcher(id).matches()) {
      return Optional.of("counter id '" + abbreviate(id) + "' may only contain letters, digits and . _ : -");
    }
    return Optional.empty();
  }

  static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }
}
