/**
 * The HTTP server: {@link dev.tally.api.HttpApi} with its routes grouped by resource, each handler
 * parsing, calling one service method and rendering; the internal routes between instances and their
 * client, {@link dev.tally.api.HttpPeerClient}. Holds no counting or routing logic.
 */
package dev.tally.api;
