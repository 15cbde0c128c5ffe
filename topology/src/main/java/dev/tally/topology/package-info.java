/**
 * How events are counted. {@link dev.tally.topology.CounterTopology#build} is a pure function of
 * {@link dev.tally.topology.TallyConfig}: it does no I/O, reads no clock and starts no thread. State types
 * ({@link dev.tally.topology.PnCounter}) and their serdes live here too, and so do the rules every
 * event must meet ({@link dev.tally.topology.CounterIds}, {@link dev.tally.topology.EventRules}), shared
 * with the HTTP ingest path so both reject the same input.
 */
package dev.tally.topology;
