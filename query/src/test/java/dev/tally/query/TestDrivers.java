package dev.tally.query;

import dev.tally.topology.CounterTopology;
import dev.tally.topology.TallyConfig;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;

/** TopologyTestDriver of the real topology, with a state directory under target/. */
final class TestDrivers {

  private TestDrivers() {}

  static TopologyTestDriver of(TallyConfig config, String applicationId) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, "target/streams-state");
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    return new TopologyTestDriver(CounterTopology.build(config), props);
  }
}
