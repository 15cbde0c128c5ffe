package dev.tally.app;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * {@code --kafka-config FILE}: Kafka client properties, e.g. {@code security.protocol},
 * {@code sasl.jaas.config} and {@code ssl.truststore.location}, given to every client Tally creates.
 */
final class KafkaConfigFile {

  private KafkaConfigFile() {}

  /** The client settings of a command: {@code file}'s properties (if any) and the bootstrap servers. */
  static Map<String, Object> clientSettings(Path file, String bootstrapServers) {
    Map<String, Object> settings = new HashMap<>(read(file));
    settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return settings;
  }

  /** The properties in {@code file}, or none when it is null. */
  static Map<String, String> read(Path file) {
    if (file == null) {
      return Map.of();
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read --kafka-config " + file, e);
    }
    Map<String, String> settings = new TreeMap<>();
    properties.stringPropertyNames().forEach(name -> settings.put(name, properties.getProperty(name)));
    return settings;
  }
}
