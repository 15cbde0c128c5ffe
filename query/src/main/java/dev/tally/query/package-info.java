/**
 * How counts get out: {@link dev.tally.query.CounterQueries} reads state stores through IQv2 and knows
 * nothing of HTTP; {@link dev.tally.query.HttpApi} parses, calls one method and renders. Never aggregates
 * events.
 */
package dev.tally.query;
