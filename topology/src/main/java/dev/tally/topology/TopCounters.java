package dev.tally.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The busiest counters of one task in one second of stream time, busiest first, at most
 * {@link #LIMIT}: what {@code GET /v1/top} adds up over the last minute. A counter outside a task's
 * limit in some second is missing from that second, so the top counters are approximate: exact for a
 * counter that is among the {@link #LIMIT} busiest of each task it is counted on, in every second.
 */
public record TopCounters(Map<String, Long> events) {

  /** The one key of the store {@code top-1s}, whose windows are the seconds. */
  public static final String KEY = "top";
  /** Counters kept per task and second. */
  public static final int LIMIT = 100;

  /** Busiest first; among equals, by counter id. */
  private static final Comparator<Map.Entry<String, Long>> BUSIEST_FIRST =
      Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey());

  /**
   * The {@link #LIMIT} counters with the most events of {@code events} (by counter id). A bounded heap
   * whose head is the least busy kept: a task sees up to hundreds of thousands of counters a second,
   * and sorting them all was a tenth of a counting thread's time on uniform keys.
   */
  static TopCounters of(Map<String, Long> events) {
    PriorityQueue<Map.Entry<String, Long>> kept = new PriorityQueue<>(LIMIT + 1, BUSIEST_FIRST.reversed());
    for (Map.Entry<String, Long> entry : events.entrySet()) {
      if (kept.size() < LIMIT) {
        kept.add(entry);
      } else if (BUSIEST_FIRST.compare(entry, kept.peek()) < 0) {
        kept.poll();
        kept.add(entry);
      }
    }
    List<Map.Entry<String, Long>> busiest = new ArrayList<>(kept);
    busiest.sort(BUSIEST_FIRST);
    Map<String, Long> top = new LinkedHashMap<>();
    busiest.forEach(entry -> top.put(entry.getKey(), entry.getValue()));
    return new TopCounters(top);
  }

  /** As a count, then each counter as its UTF-8 length, bytes and events. */
  public static final class TopCountersSerde implements Serde<TopCounters> {
    @Override
    public Serializer<TopCounters> serializer() {
      return (topic, top) -> {
        if (top == null) {
          return null;
        }
        List<byte[]> ids = top.events().keySet().stream().map(id -> id.getBytes(StandardCharsets.UTF_8)).toList();
        ByteBuffer buffer = ByteBuffer.allocate(4 + ids.stream().mapToInt(id -> 4 + id.length + 8).sum());
        buffer.putInt(ids.size());
        int i = 0;
        for (long events : top.events().values()) {
          buffer.putInt(ids.get(i).length).put(ids.get(i)).putLong(events);
          i++;
        }
        return buffer.array();
      };
    }

    @Override
    public Deserializer<TopCounters> deserializer() {
      return (topic, bytes) -> {
        if (bytes == null) {
          return null;
        }
        try {
          ByteBuffer buffer = ByteBuffer.wrap(bytes);
          int count = buffer.getInt();
          Map<String, Long> events = new LinkedHashMap<>();
          for (int i = 0; i < count; i++) {
            byte[] id = new byte[buffer.getInt()];
            buffer.get(id);
            events.put(new String(id, StandardCharsets.UTF_8), buffer.getLong());
          }
          return new TopCounters(events);
        } catch (RuntimeException e) {
          throw new SerializationException("not serialized top counters (" + bytes.length + " bytes)", e);
        }
      };
    }
  }
}
