/**
 * How counts get out: {@link dev.tally.query.CounterQueries} reads state stores (through IQv2, or an
 * active copy's own query), and the {@link dev.tally.query.Router} sends each read to the instance that
 * holds the state, through a {@link dev.tally.query.PeerClient}. Knows nothing of HTTP (that is {@code dev.tally.api}); never
 * aggregates events.
 */
package dev.tally.query;
