package dev.tally.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;

/** TopologyTestDriver of the real topology, with a state directory under target/. */
final class TestDrivers {

  private TestDrivers() {}

  static TopologyTestDriver of(TallyConfig config, String applicationId) {
    return of(config, applicationId, new TaskStores());
  }

  static TopologyTestDriver of(TallyConfig config, String applicationId, TaskStores taskStores) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    // A fresh directory each time: state a killed run left behind must not count in the next.
    props.put(StreamsConfig.STATE_DIR_CONFIG, freshStateDir());
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    // As TallyNode sets it.
    props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, HeadStoreRocksDBConfig.class);
    return new TopologyTestDriver(CounterTopology.build(config, taskStores), props);
  }

  private static String freshStateDir() {
    try {
      Path target = Files.createDirectories(Path.of("target"));
      return Files.createTempDirectory(target, "streams-state-").toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
