package dev.tally.topology;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.state.internals.StoreQueryUtils;

/**
 * The input offsets a buffered store has taken, buffered or written down: a write-back buffer is ahead
 * of the store beneath it, so the position that read-your-writes checks must be its own. Kept as a plain
 * map of topic to offset (a task reads one partition of each topic), since it is updated for every
 * event; a {@link Position} is built only for a query. The owning store's monitor guards it.
 */
final class StorePosition {

  private StateStoreContext context;
  private int partition;
  /** Topic to the newest offset taken, in a one-element array: updated for every event, without boxing. */
  private final Map<String, long[]> taken = new HashMap<>();

  void init(StateStoreContext context) {
    this.context = context;
    this.partition = context.taskId().partition();
    taken.clear();
  }

  /** Notes the record being processed as taken. */
  void record() {
    RecordMetadata record = context.recordMetadata().orElse(null);
    if (record != null && record.topic() != null) {
      long[] offset = taken.get(record.topic());
      if (offset == null) {
        taken.put(record.topic(), new long[] {record.offset()});
      } else if (offset[0] < record.offset()) {
        offset[0] = record.offset();
      }
    }
  }

  /** This store's position: what the store beneath holds, and what the buffer took since. */
  Position of(StateStore inner) {
    Position position = inner.getPosition().copy();
    taken.forEach((topic, offset) -> {
      Long stored = position.getPartitionPositions(topic).get(partition);
      if (stored == null || stored < offset[0]) {
        position.withComponent(topic, partition, offset[0]);
      }
    });
    return position;
  }

  /** Whether {@code current} (this store's position) has every offset the bound names for its partition. */
  boolean reaches(PositionBound bound, Position current) {
    return bound.isUnbounded() || StoreQueryUtils.isPermitted(current, bound, partition);
  }
}
