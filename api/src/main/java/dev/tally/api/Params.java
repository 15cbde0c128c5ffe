package dev.tally.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.query.BadRequestException;
import dev.tally.query.ReadContext;
import dev.tally.schemas.CounterIds;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Parsing of request parameters and bodies shared by the routes; every problem is a 400 with a message. */
final class Params {

  /** Set on eventual reads a standby answered, with the standby's offset lag behind the active. */
  static final String SERVED_BY_HEADER = "X-Tally-Served-By";
  static final String MAX_LAG_HEADER = "X-Tally-Max-Lag";
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  /**
   * The instants a read may name, and the longest duration: beyond them arithmetic on epoch
   * milliseconds could overflow (a window read once looped until out of memory on such a range).
   */
  static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
  static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");
  static final Duration LONGEST = Duration.ofDays(36_500);

  private Params() {}

  /** How this read may be answered: {@code consistency=eventual|strong}, {@code after=TOKEN}. */
  static ReadContext readContext(Context ctx) {
    return readContext(ctx.queryParam("consistency"), ctx.queryParam("after"));
  }

  /** As {@link #readContext(Context)}, given the two query parameters (null when absent). */
  static ReadContext readContext(String consistency, String after) {
    if (consistency != null && !consistency.equals("eventual") && !consistency.equals("strong")) {
      throw new BadRequestException("consistency must be eventual or strong, got '" + consistency + "'");
    }
    return new ReadContext("strong".equals(consistency), FetchCodec.position(after));
  }

  /**
   * Whether the request's {@code Prefer} headers (each one's value; none if absent) ask for
   * {@code respond-async}. RFC 7240: several {@code Prefer} headers mean what one comma-separated list does.
   */
  static boolean respondAsync(Iterable<String> preferHeaders) {
    for (String prefer : preferHeaders) {
      for (String preference : prefer.split(",")) {
        if (preference.strip().equalsIgnoreCase("respond-async")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The answer, and whether a standby copy gave (part of) it and how far behind it may be. */
  static void reply(Context ctx, ReadContext read, Object body) {
    if (read.servedByStandby()) {
      ctx.header(SERVED_BY_HEADER, "standby");
      ctx.header(MAX_LAG_HEADER, Long.toString(read.maxLag()));
    }
    ctx.json(body);
  }

  static int limit(Context ctx) {
    String value = ctx.queryParam("limit");
    if (value == null || value.isBlank()) {
      return 10;
    }
    if (!value.matches("\\d{1,4}") || Integer.parseInt(value) < 1 || Integer.parseInt(value) > 1000) {
      throw new BadRequestException("limit must be 1 to 1000, got '" + value + "'");
    }
    return Integer.parseInt(value);
  }

  static String counterId(Context ctx) {
    return counterId(ctx.pathParam("id"));
  }

  static String counterId(String id) {
    CounterIds.problem(id).ifPresent(problem -> {
      throw new BadRequestException(problem);
    });
    return id;
  }

  static Duration duration(Context ctx, String name, boolean required) {
    String value = ctx.queryParam(name);
    if (value == null || value.isBlank()) {
      if (required) {
        throw new BadRequestException("query parameter " + name + " is required, e.g. " + name + "=PT15M");
      }
      return null;
    }
    Duration duration;
    try {
      duration = Duration.parse(value);
    } catch (DateTimeParseException e) {
      throw new BadRequestException(name + " must be an ISO-8601 duration such as PT15M, PT1H or P1D, got '"
          + value + "'");
    }
    if (duration.isNegative() || duration.isZero() || duration.compareTo(LONGEST) > 0) {
      throw new BadRequestException(name + " must be positive and at most " + LONGEST + ", got '" + value + "'");
    }
    return duration;
  }

  static int confidence(String value) {
    if (value == null || value.isBlank()) {
      return 2;
    }
    if (!value.matches("[123]")) {
      throw new BadRequestException("confidence must be 1, 2 or 3 standard deviations, got '" + value + "'");
    }
    return Integer.parseInt(value);
  }

  static JsonNode json(String body) {
    try {
      return JSON.readTree(body == null || body.isBlank() ? "{}" : body);
    } catch (JsonProcessingException e) {
      throw new BadRequestException("body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  static Instant instant(JsonNode body, String name) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual() && !value.isIntegralNumber()) {
      throw new BadRequestException(name + " must be an ISO-8601 instant or epoch milliseconds, got " + value);
    }
    return instant(name, value.asText());
  }

  static Instant instant(Context ctx, String name) {
    return instant(name, ctx.queryParam(name));
  }

  private static Instant instant(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Instant instant;
    try {
      instant = value.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(value))
          : Instant.parse(value);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new BadRequestException(name + " must be an ISO-8601 instant or epoch milliseconds, got '"
          + value + "'");
    }
    if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
      throw new BadRequestException(name + " must lie between " + EARLIEST + " and " + LATEST + ", got '"
          + value + "'");
    }
    return instant;
  }
}
