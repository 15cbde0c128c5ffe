package dev.tally.topology;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.state.internals.StoreQueryUtils;

/**
 * The input offsets a buffered store has taken, buffered or written down: a write-back buffer is ahead
 * of the store beneath it, so the position that read-your-writes checks must be its own.
 */
final class StorePosition {

  private StateStoreContext context;
  private int partition;
  private Position taken = Position.emptyPosition();

  void init(StateStoreContext context) {
    this.context = context;
    this.partition = context.taskId().partition();
    this.taken = Position.emptyPosition();
  }

  /** Notes the record being processed as taken. */
  void record() {
    StoreQueryUtils.updatePosition(taken, context);
  }

  /** This store's position: what the store beneath holds, and what the buffer took since. */
  Position of(StateStore inner) {
    return inner.getPosition().copy().merge(taken);
  }

  /** Whether every offset the bound names for this store's partition has been taken. */
  boolean reaches(PositionBound bound, StateStore inner) {
    return bound.isUnbounded() || StoreQueryUtils.isPermitted(of(inner), bound, partition);
  }
}
