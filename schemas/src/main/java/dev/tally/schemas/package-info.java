/**
 * What travels on Tally's topics: Avro records generated from {@code src/main/avro}, and Kafka serdes that
 * write them in Avro single-object encoding. Every schema version ever written is kept in
 * {@code history/} so old records stay readable without a registry server. No counting logic lives here.
 */
package dev.tally.schemas;
