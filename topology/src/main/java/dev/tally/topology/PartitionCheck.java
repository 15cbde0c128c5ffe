package dev.tally.topology;

import dev.tally.schemas.ShardKeys;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Passes on the records of the increments topic that sit where Kafka's default partitioner puts their
 * key ({@code murmur2(key) % partitions}, as {@code TallyProducer} and every Java producer do), or
 * the others: a producer with another partitioner (librdkafka's default is CRC32-based) puts a
 * counter's records in a partition whose task never holds it, and reads would never see them. The
 * {@code misplaced} side goes through a repartition topic to the task that owns the key, and a metric
 * counts it. Records without a key pass on as placed: the counting processor rejects them.
 */
final class PartitionCheck implements Processor<byte[], byte[], byte[], byte[]> {

  /** Marks a re-routed record that came from the backfill topic; trusted only on the re-routed topic. */
  static final String BACKFILL_HEADER = "tally-backfill";

  private final int partitions;
  private final boolean passPlaced;
  private final String backfillTopic;
  private ProcessorContext<byte[], byte[]> context;
  private Sensor rerouted;

  /**
   * @param partitions the increments topic's partition count
   * @param passPlaced pass on the records in their key's partition (true), or the others (false)
   * @param backfillTopic the backfill topic: its records keep saying so when they are re-routed
   */
  PartitionCheck(int partitions, boolean passPlaced, String backfillTopic) {
    this.partitions = partitions;
    this.passPlaced = passPlaced;
    this.backfillTopic = backfillTopic;
  }

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
    if (!passPlaced) {
      rerouted = context.metrics().addRateTotalSensor("tally", "partitioning", "rerouted", Sensor.RecordingLevel.INFO);
    }
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    int partition = context.recordMetadata().map(metadata -> metadata.partition()).orElse(-1);
    boolean placed = record.key() == null || partition < 0 || ShardKeys.partitionOf(record.key(), partitions) == partition;
    if (placed == passPlaced) {
      if (placed) {
        context.forward(record);
        return;
      }
      rerouted.record();
      Headers headers = new RecordHeaders(record.headers().toArray());
      headers.remove(BACKFILL_HEADER);
      if (context.recordMetadata().map(metadata -> metadata.topic().equals(backfillTopic)).orElse(false)) {
        headers.add(BACKFILL_HEADER, new byte[] {1});
      }
      context.forward(record.withHeaders(headers));
    }
  }
}
