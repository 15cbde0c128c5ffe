package dev.tally.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tally.schemas.Limits;
import dev.tally.topology.TallyConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 3: Tally counts through a SASL_SSL listener (SCRAM-SHA-512, a certificate made for the
 * test) with {@code --kafka-config}, every one of its clients authenticated, and authorized by exactly
 * the ACLs the README lists: the node knows only the secured address, and a client with a wrong
 * password is refused there.
 */
class SecuredKafkaIT {

  private static final String STORE_PASSWORD = "test-store-pw";
  private static final String USER = "tally";
  private static final String PASSWORD = "tally-scram-pw";
  private static final String APPLICATION_ID = "secured-it-" + UUID.randomUUID();

  @TempDir
  Path dir;

  @Test
  void countsThroughSaslSslWithScram() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    Path certificate = dir.resolve("broker.pem");
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(),
        "-storepass", STORE_PASSWORD, "-file", certificate.toString());

    int securedPort = Ports.free();
    String prefix = "listener.name.sasl_ssl.";
    EmbeddedBroker.Listener secured = new EmbeddedBroker.Listener("SASL_SSL", "SASL_SSL", securedPort, Map.of(
        prefix + "sasl.enabled.mechanisms", "SCRAM-SHA-512",
        prefix + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        prefix + "ssl.keystore.type", "PKCS12",
        prefix + "ssl.keystore.location", keystore.toString(),
        prefix + "ssl.keystore.password", STORE_PASSWORD,
        prefix + "ssl.key.password", STORE_PASSWORD,
        // ACLs enforced; the plaintext and controller listeners' ANONYMOUS is the test's administrator.
        "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users", "User:ANONYMOUS"));
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 3, List.of(secured))) {
      // The user, created over the broker's plaintext listener, which the node below never sees.
      try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(USER,
            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), PASSWORD))).all().get();
        admin.createAcls(readmeAcls()).all().get();
      }
      String bootstrap = "127.0.0.1:" + securedPort;
      Map<String, String> client = clientSettings(certificate, PASSWORD);
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> clusterAnswers(bootstrap, client));
      assertThatThrownBy(() -> clusterAnswers(bootstrap, clientSettings(certificate, "wrong-password")))
          .hasRootCauseInstanceOf(SaslAuthenticationException.class);

      Path config = dir.resolve("kafka.properties");
      Files.writeString(config, String.join("\n", client.entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).toList()));
      NodeSettings settings = new NodeSettings(Optional.of(bootstrap), 0, "localhost", Ports.free(), Ports.free(),
          "127.0.0.1", Optional.empty(), dir.resolve("node"), 3, 1, APPLICATION_ID, "exactly_once_v2",
          1, TallyConfig.defaults(), 0, Map.of(), 0, Optional.empty(),
          KafkaConfigFile.read(config), Limits.DEFAULTS);
      try (TallyNode node = TallyNode.start(settings)) {
        TallyClient http = new TallyClient(node.httpPort()).awaitReady();
        for (int i = 0; i < 20; i++) {
          assertThat(http.post("/v1/counters/secured/increments", "{\"delta\":3}").status()).isEqualTo(202);
        }
        assertThat(http.post("/v1/counters/secured/shards", "{\"shards\":4}").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(http.counter("secured")[0]).isEqualTo(60);
          assertThat(http.get("/v1/counters/secured").body().get("shards").intValue()).isEqualTo(4);
        });
      }
    }
  }

  /** The ACLs the README gives Tally's principal, for application id {@code secured-it-...}. */
  private static List<AclBinding> readmeAcls() {
    String principal = "User:" + USER;
    List<AclBinding> acls = new ArrayList<>();
    for (ResourcePattern prefixed : List.of(
        new ResourcePattern(ResourceType.TOPIC, "tally.", PatternType.PREFIXED),
        new ResourcePattern(ResourceType.TOPIC, APPLICATION_ID + "-", PatternType.PREFIXED),
        new ResourcePattern(ResourceType.GROUP, APPLICATION_ID, PatternType.PREFIXED))) {
      acls.add(new AclBinding(prefixed, new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW)));
    }
    ResourcePattern transactions = new ResourcePattern(ResourceType.TRANSACTIONAL_ID, APPLICATION_ID + "-",
        PatternType.PREFIXED);
    ResourcePattern cluster = new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL);
    for (AclOperation operation : List.of(AclOperation.WRITE, AclOperation.DESCRIBE)) {
      acls.add(new AclBinding(transactions, new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
    }
    for (AclOperation operation : List.of(AclOperation.IDEMPOTENT_WRITE, AclOperation.DESCRIBE_CONFIGS)) {
      acls.add(new AclBinding(cluster, new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
    }
    return acls;
  }

  private static Map<String, String> clientSettings(Path certificate, String password) {
    Map<String, String> settings = new HashMap<>();
    settings.put("security.protocol", "SASL_SSL");
    settings.put("sasl.mechanism", "SCRAM-SHA-512");
    settings.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + USER + "\" password=\"" + password + "\";");
    settings.put("ssl.truststore.type", "PEM");
    settings.put("ssl.truststore.location", certificate.toString());
    return settings;
  }

  private static boolean clusterAnswers(String bootstrap, Map<String, String> settings)
      throws ExecutionException, InterruptedException, TimeoutException {
    Map<String, Object> config = new HashMap<>(settings);
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(config)) {
      return !admin.describeCluster().nodes().get(20, TimeUnit.SECONDS).isEmpty();
    }
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("keytool %s: %s", args[0], output).isZero();
  }
}
