package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tally.api.HealthRoutes;
import dev.tally.topology.TallyConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Issue 16, item 1: every manifest in {@code k8s/} parses as its Kubernetes type with no field the
 * type does not have (a misspelled field fails here, where Kubernetes would drop it), the container's
 * args are options {@code tally serve} takes, and ports and probe paths are the server's.
 */
class KubernetesManifestsTest {

  private static final Path K8S = Path.of("..", "k8s");
  private static final Map<String, Class<? extends KubernetesResource>> TYPES = Map.of(
      "apps/v1/StatefulSet", StatefulSet.class,
      "v1/Service", Service.class,
      "v1/ConfigMap", ConfigMap.class,
      "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);
  /** Strimzi's KafkaTopic (kafka.strimzi.io/v1beta2): the fields of its spec. */
  private static final Set<String> KAFKA_TOPIC_SPEC = Set.of("topicName", "partitions", "replicas", "config");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  @TempDir
  Path dir;

  @Test
  void everyManifestIsItsKubernetesTypeAndTheKustomizationListsThemAll() throws Exception {
    List<String> listed = resources();
    try (var files = Files.list(K8S)) {
      assertThat(files.map(file -> file.getFileName().toString())
          .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml")))
          .containsExactlyInAnyOrderElementsOf(listed);
    }
    Map<String, Integer> kinds = new HashMap<>();
    for (String file : listed) {
      for (JsonNode document : documents(file)) {
        String kind = document.path("kind").asText();
        kinds.merge(kind, 1, Integer::sum);
        if (kind.equals("KafkaTopic")) {
          checkKafkaTopic(file, document);
          continue;
        }
        Class<? extends KubernetesResource> type = TYPES.get(document.path("apiVersion").asText() + "/" + kind);
        assertThat(type).as("%s: a %s %s", file, document.path("apiVersion").asText(), kind).isNotNull();
        KubernetesResource resource = YAML.treeToValue(document, type);
        List<String> unknown = new ArrayList<>();
        unknownFields(resource, kind, unknown, new IdentityHashMap<>());
        assertThat(unknown).as("%s: fields %s does not have", file, kind).isEmpty();
      }
    }
    assertThat(kinds).containsEntry("StatefulSet", 1).containsEntry("Service", 2).containsEntry("ConfigMap", 1)
        .containsEntry("PodDisruptionBudget", 1).containsEntry("KafkaTopic", 4);
  }

  @Test
  void theContainerRunsServeWithOptionsItTakesOnThePortsItListensOn() throws Exception {
    StatefulSet set = one("statefulset.yaml", StatefulSet.class);
    ConfigMap options = one("configmap.yaml", ConfigMap.class);
    Container container = set.getSpec().getTemplate().getSpec().getContainers().get(0);

    // As Kubernetes runs it: $(VAR) from the container's env, the @-file from the ConfigMap's volume.
    Path optionsFile = Files.writeString(dir.resolve("serve.options"), options.getData().get("serve.options"));
    List<String> args = new ArrayList<>();
    for (String arg : container.getArgs()) {
      String expanded = expand(arg, container);
      args.add(expanded.equals("@/etc/tally/options/serve.options") ? "@" + optionsFile : expanded);
    }
    assertThat(container.getVolumeMounts()).anyMatch(mount -> mount.getMountPath().equals("/etc/tally/options")
        && mount.getName().equals("options"));
    ParseResult parsed = new CommandLine(new TallyCommand()).parseArgs(args.toArray(String[]::new));
    assertThat(parsed.hasSubcommand()).isTrue();
    ParseResult serve = parsed.subcommand();
    assertThat(serve.commandSpec().name()).isEqualTo("serve");
    ServeCommand command = serve.commandSpec().commandLine().getCommand();
    assertThat(ServeCommand.refusal(command.bind, command.authTokensFile != null, command.peerSecretFile != null,
        command.insecure)).as("serve would refuse to start").isNull();
    assertThat(command.bootstrapServers).isNotBlank();
    assertThat(command.host).isEqualTo("tally-0.tally-headless.default.svc.cluster.local");

    Map<String, Integer> ports = container.getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
    int internal = command.internalPort != null ? command.internalPort : command.port + 1000;
    assertThat(ports).containsExactlyInAnyOrderEntriesOf(Map.of("http", command.port, "internal", internal));
    assertThat(set.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", Integer.toString(command.port))
        .containsEntry("prometheus.io/path", HealthRoutes.METRICS);

    assertThat(path(container.getStartupProbe())).isEqualTo(HealthRoutes.LIVE);
    assertThat(path(container.getLivenessProbe())).isEqualTo(HealthRoutes.LIVE);
    assertThat(path(container.getReadinessProbe())).as("serving through rebalances").isEqualTo(HealthRoutes.SERVING);
    for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())) {
      assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }
    assertThat(container.getVolumeMounts()).anyMatch(mount -> mount.getMountPath().equals(command.dataDir.toString())
        && mount.getName().equals("data"));
    assertThat(set.getSpec().getVolumeClaimTemplates()).anyMatch(claim -> claim.getMetadata().getName().equals("data"));
    assertThat(container.getResources().getLimits()).containsKey("memory");
  }

  @Test
  void theServicesReachThePodsByTheirNamedPorts() throws Exception {
    StatefulSet set = one("statefulset.yaml", StatefulSet.class);
    Map<String, String> podLabels = set.getSpec().getTemplate().getMetadata().getLabels();
    Set<String> named = set.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
        .map(ContainerPort::getName).collect(Collectors.toSet());
    List<Service> services = new ArrayList<>();
    for (JsonNode document : documents("services.yaml")) {
      services.add(YAML.treeToValue(document, Service.class));
    }
    for (Service service : services) {
      assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
      for (ServicePort port : service.getSpec().getPorts()) {
        assertThat(named).contains(port.getTargetPort().getStrVal());
      }
    }
    Service headless = services.stream().filter(s -> s.getMetadata().getName().equals(set.getSpec().getServiceName()))
        .findFirst().orElseThrow();
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(headless.getSpec().getPorts()).anyMatch(port -> port.getName().equals("internal"));
    assertThat(one("pdb.yaml", PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels())
        .isEqualTo(set.getSpec().getSelector().getMatchLabels());
    assertThat(podLabels).containsAllEntriesOf(set.getSpec().getSelector().getMatchLabels());
  }

  private static void checkKafkaTopic(String file, JsonNode topic) {
    String name = topic.path("metadata").path("name").asText();
    assertThat(topic.path("apiVersion").asText()).as(name).isEqualTo("kafka.strimzi.io/v1beta2");
    assertThat(topic.path("metadata").path("labels").has("strimzi.io/cluster")).as(name).isTrue();
    JsonNode spec = topic.path("spec");
    assertThat(fieldNames(spec)).as("%s: %s spec", file, name).isSubsetOf(KAFKA_TOPIC_SPEC);
    Set<String> topicConfigs = Arrays.stream(TopicConfig.class.getFields())
        .filter(field -> Modifier.isStatic(field.getModifiers()) && field.getName().endsWith("_CONFIG"))
        .map(KubernetesManifestsTest::value).collect(Collectors.toSet());
    assertThat(fieldNames(spec.path("config"))).as("%s: %s config", file, name).isSubsetOf(topicConfigs);
    assertThat(spec.path("replicas").asInt()).as(name).isEqualTo(3);
    assertThat(spec.path("config").path(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).asText()).as(name)
        .isEqualTo(Integer.toString(NodeSettings.minInSyncReplicas(3)));
    switch (name) {
      case TallyConfig.INCREMENTS_TOPIC, TallyConfig.BACKFILL_TOPIC -> assertThat(
          spec.path("config").path(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG).asText()).as(name).isEqualTo("LogAppendTime");
      case TallyConfig.SHARD_CONFIG_TOPIC -> assertThat(spec.path("config").path(TopicConfig.CLEANUP_POLICY_CONFIG)
          .asText()).as(name).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
      case TallyConfig.DLQ_TOPIC -> { }
      default -> throw new AssertionError(file + ": a topic Tally does not use: " + name);
    }
  }

  /** Fields a fabric8 model object kept aside as unknown, with their paths. */
  private static void unknownFields(Object value, String path, List<String> unknown, Map<Object, Boolean> seen)
      throws ReflectiveOperationException {
    if (value == null || seen.put(value, true) != null) {
      return;
    }
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> entries) {
      for (Map.Entry<?, ?> entry : entries.entrySet()) {
        unknownFields(entry.getValue(), path + "." + entry.getKey(), unknown, seen);
      }
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
        continue;
      }
      Object field = getter.invoke(value);
      if (getter.getName().equals("getAdditionalProperties")) {
        ((Map<?, ?>) field).keySet().forEach(key -> unknown.add(path + "." + key));
      } else {
        unknownFields(field, path + "." + getter.getName().substring(3), unknown, seen);
      }
    }
  }

  private static List<String> resources() throws IOException {
    List<String> resources = new ArrayList<>();
    YAML.readTree(K8S.resolve("kustomization.yaml").toFile()).path("resources").forEach(r -> resources.add(r.asText()));
    return resources;
  }

  private static List<JsonNode> documents(String file) throws IOException {
    List<JsonNode> documents = new ArrayList<>();
    try (var parser = new YAMLMapper().createParser(K8S.resolve(file).toFile())) {
      Iterator<ObjectNode> all = new YAMLMapper().readValues(parser, ObjectNode.class);
      all.forEachRemaining(documents::add);
    }
    return documents;
  }

  private static <T extends HasMetadata> T one(String file, Class<T> type) throws IOException {
    List<JsonNode> documents = documents(file);
    assertThat(documents).as(file).hasSize(1);
    return YAML.treeToValue(documents.get(0), type);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** {@code $(NAME)} replaced as Kubernetes does, from the container's env (field refs: a pod's). */
  private static String expand(String arg, Container container) {
    Map<String, String> pod = Map.of("metadata.name", "tally-0", "metadata.namespace", "default");
    Matcher variable = Pattern.compile("\\$\\((\\w+)\\)").matcher(arg);
    StringBuilder expanded = new StringBuilder();
    while (variable.find()) {
      String name = variable.group(1);
      String value = container.getEnv().stream().filter(env -> env.getName().equals(name)).findFirst()
          .map(env -> env.getValue() != null ? env.getValue() : pod.get(env.getValueFrom().getFieldRef().getFieldPath()))
          .orElseThrow(() -> new AssertionError("args use $(" + name + "), which the container does not define"));
      variable.appendReplacement(expanded, Matcher.quoteReplacement(value));
    }
    return variable.appendTail(expanded).toString();
  }

  private static String path(Probe probe) {
    return probe.getHttpGet().getPath();
  }

  private static String value(Field field) {
    try {
      return (String) field.get(null);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
