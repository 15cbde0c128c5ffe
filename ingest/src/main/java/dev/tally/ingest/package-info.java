/**
 * How events get in: {@link dev.tally.ingest.TallyProducer} (idempotent, acks=all, keyed by shard key) and
 * {@link dev.tally.ingest.IngestService}, the logic behind the HTTP ingest endpoints. Reads no state store.
 */
package dev.tally.ingest;
