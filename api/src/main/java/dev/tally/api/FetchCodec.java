package dev.tally.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tally.query.BadRequestException;
import dev.tally.query.Fetched;
import dev.tally.query.StoreRead;
import dev.tally.query.StoreSerdes;
import dev.tally.schemas.PositionToken;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.streams.query.Position;

/**
 * The JSON of the internal fetch between instances: reads out, store values back, values in their
 * stores' own binary form (base64).
 */
final class FetchCodec {

  private final ObjectMapper json = new ObjectMapper();
  private final StoreSerdes serdes;

  FetchCodec(StoreSerdes serdes) {
    this.serdes = serdes;
  }

  String request(List<StoreRead> reads, boolean allowStandby, Position after) {
    ObjectNode body = json.createObjectNode();
    body.put("allowStandby", allowStandby);
    body.put("after", token(after));
    ArrayNode array = body.putArray("reads");
    for (StoreRead read : reads) {
      ObjectNode node = array.addObject().put("store", read.store()).put("key", read.key());
      if (read.isWindowed()) {
        node.put("from", read.fromStart()).put("to", read.toStart());
      }
    }
    return body.toString();
  }

  /** @throws BadRequestException if the body is not a list of reads of known stores */
  List<StoreRead> reads(JsonNode body) {
    if (!body.path("reads").isArray()) {
      throw new BadRequestException("body must hold \"reads\": an array of {store, key[, from, to]}");
    }
    List<StoreRead> reads = new ArrayList<>();
    for (JsonNode node : body.get("reads")) {
      String store = node.path("store").asText("");
      if (!serdes.knows(store) || !node.path("key").isTextual()
          || node.has("from") != node.has("to") || (node.has("from") && !node.get("from").canConvertToLong())
          || (node.has("to") && !node.get("to").canConvertToLong())) {
        throw new BadRequestException("not a read of a known store: " + node);
      }
      String key = node.get("key").asText();
      reads.add(node.has("from")
          ? StoreRead.windows(store, key, node.get("from").asLong(), node.get("to").asLong())
          : StoreRead.value(store, key));
    }
    return reads;
  }

  String results(List<StoreRead> reads, List<Fetched> results) {
    ArrayNode array = json.createArrayNode();
    for (int i = 0; i < reads.size(); i++) {
      String store = reads.get(i).store();
      Fetched fetched = results.get(i);
      ObjectNode node = array.addObject().put("standby", fetched.standby()).put("lag", fetched.lag());
      if (fetched.windows() != null) {
        ArrayNode windows = node.putArray("windows");
        fetched.windows().forEach((start, value) -> windows.addArray().add(start).add(encode(store, value)));
      } else {
        node.put("value", fetched.value() == null ? null : encode(store, fetched.value()));
      }
    }
    return json.createObjectNode().set("results", array).toString();
  }

  List<Fetched> results(List<StoreRead> reads, JsonNode body) {
    List<Fetched> results = new ArrayList<>();
    JsonNode array = body.get("results");
    for (int i = 0; i < reads.size(); i++) {
      String store = reads.get(i).store();
      JsonNode node = array.get(i);
      NavigableMap<Long, Object> windows = null;
      Object value = null;
      if (node.has("windows")) {
        windows = new TreeMap<>();
        for (JsonNode window : node.get("windows")) {
          windows.put(window.get(0).asLong(), decode(store, window.get(1).asText()));
        }
      } else if (!node.get("value").isNull()) {
        value = decode(store, node.get("value").asText());
      }
      results.add(new Fetched(value, windows, node.get("standby").asBoolean(), node.get("lag").asLong()));
    }
    return results;
  }

  static String token(Position position) {
    if (position == null) {
      return null;
    }
    Map<String, Map<Integer, Long>> offsets = new HashMap<>();
    position.getTopics().forEach(topic -> offsets.put(topic, position.getPartitionPositions(topic)));
    return PositionToken.encode(offsets);
  }

  /** @throws BadRequestException if {@code token} is not a position token */
  static Position position(String token) {
    if (token == null || token.isBlank()) {
      return null;
    }
    try {
      return Position.fromMap(PositionToken.parse(token));
    } catch (IllegalArgumentException e) {
      throw new BadRequestException(e.getMessage());
    }
  }

  private String encode(String store, Object value) {
    return Base64.getEncoder().encodeToString(serdes.serialize(store, value));
  }

  private Object decode(String store, String base64) {
    return serdes.deserialize(store, Base64.getDecoder().decode(base64));
  }
}
