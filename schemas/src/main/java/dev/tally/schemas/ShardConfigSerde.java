package dev.tally.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for {@link ShardConfig} in Avro single-object encoding, reading every historical version.
 * Reading refuses a shard count other than 1, 4, 16 or 64 ({@link SerializationException}).
 */
public final class ShardConfigSerde implements Serde<ShardConfig> {

  private final BinaryMessageDecoder<ShardConfig> decoder =
      ShardConfig.createDecoder(SchemaHistory.store("ShardConfig"));

  @Override
  public Serializer<ShardConfig> serializer() {
    return (topic, config) -> {
      if (config == null) {
        return null;
      }
      try {
        ByteBuffer buffer = ShardConfig.getEncoder().encode(config);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
      } catch (IOException e) {
        throw new SerializationException("cannot encode " + config, e);
      }
    };
  }

  @Override
  public Deserializer<ShardConfig> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      ShardConfig config;
      try {
        config = decoder.decode(bytes);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException("not a readable ShardConfig: " + e.getMessage(), e);
      }
      // Anyone can write to the topic: a count no reader or writer can use is refused here, once.
      if (!ShardKeys.isValidCount(config.getShards())) {
        throw new SerializationException("ShardConfig of '" + config.getCounter() + "' has " + config.getShards()
            + " shards; a counter has 1, 4, 16 or 64");
      }
      return config;
    };
  }
}
