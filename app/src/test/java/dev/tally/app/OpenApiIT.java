package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16, item 4: {@code GET /openapi.json} covers exactly the routes the server registers, and real
 * answers, errors included, validate against the schemas it gives for their route and status.
 */
class OpenApiIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch");

  private static JsonNode document;
  private final HttpClient http = HttpClient.newHttpClient();

  @RegisterExtension
  static final RunningNode tally = RunningNode.embedded("openapi-it", 3, 1);

  @BeforeAll
  static void start() throws Exception {
    HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://localhost:" + tally.node().httpPort() + "/openapi.json")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    document = JSON.readTree(answer.body());
  }

  @Test
  void theDocumentCoversEveryRouteTheServerRegistersAndNoOther() {
    Set<String> documented = new HashSet<>();
    document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
      if (METHODS.contains(method)) {
        documented.add(method.toUpperCase() + " " + path.getKey());
      }
    }));
    assertThat(tally.node().httpRoutes()).isNotEmpty().doesNotHaveDuplicates();
    assertThat(documented).containsExactlyInAnyOrderElementsOf(tally.node().httpRoutes());
    document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
      assertThat(operation.getValue().path("operationId").isTextual()).as(path.getKey()).isTrue();
      assertThat(operation.getValue().path("responses").size()).as(path.getKey()).isPositive();
    }));
  }

  @Test
  void realAnswersMatchTheirSchemas() throws Exception {
    String counter = "openapi:page";
    HttpResponse<String> written = check("POST", "/v1/counters/{id}/increments", "/v1/counters/" + counter + "/increments",
        "{\"delta\":5,\"item\":\"u1\"}", Map.of(), 202);
    String position = JSON.readTree(written.body()).path("position").asText();
    check("POST", "/v1/counters/{id}/increments", "/v1/counters/" + counter + "/increments", "{\"delta\":-2}",
        Map.of("Prefer", "respond-async"), 202);
    check("POST", "/v1/counters/{id}/increments", "/v1/counters/" + counter + "/increments", "{\"delta\":\"x\"}",
        Map.of(), 400);
    check("POST", "/v1/events", "/v1/events", "{\"counter\":\"openapi:b\",\"delta\":1}\n{\"counter\":\"bad id!\"}\n",
        Map.of(), 202);
    check("POST", "/v1/events", "/v1/events", "[{\"counter\":\"bad id!\"}]", Map.of(), 400);
    check("POST", "/v1/events", "/v1/events?backfill=true",
        "[{\"counter\":\"openapi:b\",\"eventTime\":\"" + Instant.now().minus(Duration.ofDays(30)) + "\"}]", Map.of(), 202);

    check("GET", "/v1/counters/{id}", "/v1/counters/" + counter + "?after=" + position, null, Map.of(), 200);
    check("GET", "/v1/counters/{id}", "/v1/counters/" + counter + "?consistency=sometimes", null, Map.of(), 400);
    check("GET", "/v1/counters/{id}/last", "/v1/counters/" + counter + "/last?window=PT15M", null, Map.of(), 200);
    check("GET", "/v1/counters/{id}/last", "/v1/counters/" + counter + "/last?window=soon", null, Map.of(), 400);
    check("GET", "/v1/counters/{id}/windows", "/v1/counters/" + counter + "/windows?size=PT1H&advance=PT5M", null,
        Map.of(), 200);
    check("GET", "/v1/counters/{id}/windows", "/v1/counters/" + counter + "/windows?size=PT1M", null, Map.of(), 200);
    check("GET", "/v1/counters/{id}/rate", "/v1/counters/" + counter + "/rate", null, Map.of(), 200);
    check("GET", "/v1/counters/{id}/uniques", "/v1/counters/" + counter + "/uniques", null, Map.of(), 200);
    check("GET", "/v1/counters/{id}/uniques", "/v1/counters/" + counter + "/uniques?window=PT1H", null, Map.of(), 200);
    check("POST", "/v1/uniques/union", "/v1/uniques/union", "{\"counters\":[\"" + counter + "\",\"openapi:b\"]}",
        Map.of(), 200);
    check("POST", "/v1/uniques/union", "/v1/uniques/union", "{}", Map.of(), 400);
    check("GET", "/v1/top", "/v1/top?limit=5", null, Map.of(), 200);
    check("GET", "/v1/top", "/v1/top?window=PT5M", null, Map.of(), 400);
    check("GET", "/v1/instances", "/v1/instances", null, Map.of(), 200);
    check("POST", "/v1/counters/{id}/shards", "/v1/counters/" + counter + "/shards", "{\"shards\":4}", Map.of(), 202);
    check("POST", "/v1/counters/{id}/shards", "/v1/counters/" + counter + "/shards", "{\"shards\":5}", Map.of(), 400);
    check("GET", "/health/live", "/health/live", null, Map.of(), 200);
    check("GET", "/health/ready", "/health/ready", null, Map.of(), 200);
    check("GET", "/health/serving", "/health/serving", null, Map.of(), 200);
    check("GET", "/openapi.json", "/openapi.json", null, Map.of(), 200);
    assertThat(check("GET", "/metrics", "/metrics", null, Map.of(), 200).body()).contains("# TYPE");
  }

  /** Sends the request, expects {@code status}, and validates the body against the document's schema. */
  private HttpResponse<String> check(String method, String route, String path, String body, Map<String, String> headers,
      int status) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + tally.node().httpPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as("%s %s: %s", method, path, answer.body()).isEqualTo(status);

    JsonNode response = document.path("paths").path(route).path(method.toLowerCase()).path("responses")
        .path(Integer.toString(status));
    assertThat(response.isMissingNode()).as("%s %s documents %d", method, route, status).isFalse();
    if (response.has("$ref")) {
      response = at(response.get("$ref").asText());
    }
    Iterator<Map.Entry<String, JsonNode>> content = response.path("content").fields();
    assertThat(content.hasNext()).as("%s %s %d has a body", method, route, status).isTrue();
    Map.Entry<String, JsonNode> media = content.next();
    String type = answer.headers().firstValue("Content-Type").orElse("");
    assertThat(type).as("%s %s", method, path).startsWith(media.getKey().equals("text/plain") ? "text/plain" : media.getKey());
    if (media.getKey().equals("application/json")) {
      List<String> problems = problems(media.getValue().path("schema"), JSON.readTree(answer.body()));
      assertThat(problems).as("%s %s answered %s", method, path, answer.body()).isEmpty();
    }
    return answer;
  }

  /** What is wrong with {@code value} by {@code schema}, whose references point into the document. */
  private static List<String> problems(JsonNode schema, JsonNode value) {
    ObjectNode root = schema.deepCopy();
    root.set("components", document.path("components"));
    Set<ValidationMessage> messages = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(root)
        .validate(value);
    List<String> problems = new ArrayList<>();
    messages.forEach(message -> problems.add(message.toString()));
    return problems;
  }

  private static JsonNode at(String reference) {
    return document.at(reference.substring(1));
  }
}
