package dev.tally.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A read-your-writes token: the highest offset written to each partition, as an opaque URL-safe string.
 * A read given the token waits until the stores have processed those offsets.
 */
public final class PositionToken {

  private PositionToken() {}

  /** The token of {@code written} records; null when nothing was written. */
  public static String of(Iterable<RecordMetadata> written) {
    Map<String, Map<Integer, Long>> offsets = new HashMap<>();
    for (RecordMetadata metadata : written) {
      offsets.computeIfAbsent(metadata.topic(), topic -> new HashMap<>())
          .merge(metadata.partition(), metadata.offset(), Math::max);
    }
    return encode(offsets);
  }

  /** The token of these offsets by topic and partition; null when there are none. */
  public static String encode(Map<String, Map<Integer, Long>> offsets) {
    if (offsets.values().stream().allMatch(Map::isEmpty)) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    offsets.forEach((topic, partitions) -> partitions.forEach((partition, offset) ->
        text.append(text.isEmpty() ? "" : ",").append(topic).append(':').append(partition).append(':').append(offset)));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The offsets in {@code token}, by topic and partition.
   *
   * @throws IllegalArgumentException if it is not a token this class wrote
   */
  public static Map<String, Map<Integer, Long>> parse(String token) {
    Map<String, Map<Integer, Long>> offsets = new HashMap<>();
    try {
      String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      for (String entry : text.split(",")) {
        int last = entry.lastIndexOf(':');
        int middle = entry.lastIndexOf(':', last - 1);
        offsets.computeIfAbsent(entry.substring(0, middle), topic -> new HashMap<>())
            .put(Integer.parseInt(entry.substring(middle + 1, last)), Long.parseLong(entry.substring(last + 1)));
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a position token: '" + token + "'", e);
    }
    return offsets;
  }
}
