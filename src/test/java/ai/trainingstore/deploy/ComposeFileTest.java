package ai.trainingstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yml, parsed as Compose would read it (no Docker engine runs here): the three
 * services, the store's variables against its configuration, its URLs against the other services'
 * names and ports, health checks, and the stop grace period against the consumers' drain.
 */
class ComposeFileTest {

    private static final Path COMPOSE = Path.of("docker", "compose.yml");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?}");

    private final JsonNode services = read().path("services");
    private final JsonNode store = services.path("training-store");
    private final Map<String, String> storeEnvironment = environment(store);
    private final ServiceSettings settings = ServiceSettings.withEnvironment(storeEnvironment);

    @Test
    void theStackIsPostgres15Redis7AndTheStore() {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("postgres", "postgres-replica", "redis", "training-store");
        assertThat(services.at("/postgres/image").asText()).matches("postgres:15([.-].*)?");
        assertThat(services.at("/postgres-replica/image").asText()).isEqualTo(services.at("/postgres/image").asText());
        assertThat(services.at("/redis/image").asText()).matches("redis:7([.-].*)?");
    }

    @Test
    void theReadReplicaIsOptionalAStandbyOfPostgresAndUnusedUnlessAsked() throws IOException {
        JsonNode replica = services.path("postgres-replica");
        assertThat(list(replica.path("profiles"))).as("started only with --profile replica").containsExactly("replica");
        String command = String.join(" ", list(replica.path("command")));
        assertThat(command).contains("pg_basebackup -h postgres ").contains(" -R ").contains("hot_standby_feedback=on");
        assertThat(replica.at("/depends_on/postgres/condition").asText()).isEqualTo("service_healthy");
        // The store reads from it only when TRAINING_STORE_READ_URL is set: by default it is empty (unset).
        assertThat(storeEnvironment.get("TRAINING_STORE_READ_URL")).as("read with Compose's defaults").isEmpty();
        Path hba = COMPOSE.resolveSibling("replication-hba.sh");
        assertThat(list(services.at("/postgres/volumes"))).anyMatch(volume -> volume.startsWith("./replication-hba.sh:"
                + "/docker-entrypoint-initdb.d/"));
        assertThat(Files.readString(hba)).contains("host replication");
    }

    @Test
    void everyVariableOfTheStoreIsAConfigurationKeyOfTheService() {
        assertThat(storeEnvironment.keySet()).isNotEmpty()
                .as("variables the service does not read are silently ignored")
                .allMatch(ConfigKeys.knownEnvironmentNames()::contains);
        assertThat(storeEnvironment).containsKeys("QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_JDBC_URL",
                "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_REDIS_HOSTS", "TRAINING_STORE_TOKENS");
        assertThat(storeEnvironment).as("a fixed consumer name would be shared by scaled containers")
                .doesNotContainKey("TRAINING_STORE_CONSUMER_NAME");
    }

    @Test
    void theStoreReachesPostgresAndRedisByServiceNameOnTheirPortsWithTheirCredentials() {
        Map<String, String> postgres = environment(services.path("postgres"));
        URI reactive = URI.create(storeEnvironment.get("QUARKUS_DATASOURCE_REACTIVE_URL"));
        URI jdbc = URI.create(storeEnvironment.get("QUARKUS_DATASOURCE_JDBC_URL").substring("jdbc:".length()));
        for (URI uri : List.of(reactive, jdbc)) {
            assertThat(uri.getHost()).as(uri + " host").isEqualTo("postgres");
            assertThat(uri.getPort()).as(uri + " port").isEqualTo(containerPort(services.path("postgres")));
            assertThat(uri.getPath()).as(uri + " database").isEqualTo("/" + postgres.get("POSTGRES_DB"));
        }
        assertThat(storeEnvironment.get("QUARKUS_DATASOURCE_USERNAME")).isEqualTo(postgres.get("POSTGRES_USER"));
        assertThat(storeEnvironment.get("QUARKUS_DATASOURCE_PASSWORD")).isEqualTo(postgres.get("POSTGRES_PASSWORD"));
        URI redis = URI.create(storeEnvironment.get("QUARKUS_REDIS_HOSTS"));
        assertThat(redis.getHost()).isEqualTo("redis");
        assertThat(redis.getPort()).isEqualTo(containerPort(services.path("redis")));
        assertThat(containerPort(store)).as("published port of the store = quarkus.http.port").isEqualTo(settings.httpPort());
    }

    @Test
    void theStoreStartsAfterHealthyDependenciesAndReportsItsReadiness() {
        for (String dependency : List.of("postgres", "redis")) {
            assertThat(store.at("/depends_on/" + dependency + "/condition").asText()).isEqualTo("service_healthy");
            assertThat(services.at("/" + dependency + "/healthcheck/test")).as(dependency + " health check").isNotEmpty();
        }
        String check = String.join(" ", list(store.at("/healthcheck/test")));
        assertThat(check).contains("http://localhost:" + settings.httpPort() + settings.healthPath("ready"));
    }

    @Test
    void composeWaitsForTheConsumersToDrainBeforeKilling() {
        Duration grace = ServiceSettings.duration(store.path("stop_grace_period").asText("10s"));
        assertThat(grace).as("stop_grace_period (Compose default 10s) vs training-store.shutdown.drain-timeout")
                .isGreaterThan(settings.drainTimeout());
    }

    @Test
    void theStoreIsBuiltFromTheDockerfileAndRunsAsInKubernetes() {
        Path context = COMPOSE.getParent().resolve(store.at("/build/context").asText()).normalize();
        assertThat(context.resolve("pom.xml")).as("build context is the repository root").exists();
        assertThat(context.resolve(store.at("/build/dockerfile").asText())).as("dockerfile").isEqualTo(
                Dockerfile.PATH).exists();
        assertThat(store.path("image").asText()).isEqualTo("training-data-store:" + Pom.read().version());
        assertThat(store.path("read_only").asBoolean()).as("read-only root file system").isTrue();
        assertThat(list(store.path("tmpfs"))).contains("/tmp");
        BigDecimal limit = bytes(store.at("/deploy/resources/limits/memory").asText());
        assertThat(limit.multiply(BigDecimal.valueOf(Dockerfile.read().maxRamPercentage() / 100)))
                .as("heap of the store container").isGreaterThanOrEqualTo(BigDecimal.valueOf(256L << 20));
    }

    @Test
    void composeItselfAcceptsTheFile() throws Exception {
        Optional<List<String>> compose = executable("docker-compose")
                .map(tool -> List.of(tool, "-f", COMPOSE.toString(), "config"));
        assumeTrue(compose.isPresent(), "docker-compose is not installed (apt-get install docker-compose)");
        Process process = new ProcessBuilder(compose.get()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("docker-compose config:\n" + output).isZero();
        JsonNode resolved = Manifests.YAML.readTree(output);
        assertThat(resolved.at("/services/training-store/environment/QUARKUS_REDIS_HOSTS").asText()).isEqualTo("redis://redis:6379");
    }

    // ---------------------------------------------------------------- helpers

    private static Optional<String> executable(String name) {
        String path = System.getenv("PATH");
        return path == null ? Optional.empty() : Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    private static JsonNode read() {
        try {
            return Manifests.YAML.readTree(interpolate(Files.readString(COMPOSE)));
        } catch (IOException e) {
            throw new AssertionError(COMPOSE + " is not valid YAML", e);
        }
    }

    /** Compose's ${NAME:-default}, with nothing set in the environment. */
    static String interpolate(String text) {
        Matcher variable = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (variable.find()) {
            if (variable.group(2) == null) {
                throw new AssertionError("${" + variable.group(1) + "} has no default: the stack must start as it is");
            }
            variable.appendReplacement(out, Matcher.quoteReplacement(variable.group(2)));
        }
        variable.appendTail(out);
        return out.toString();
    }

    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> environment = new LinkedHashMap<>();
        JsonNode node = service.path("environment");
        if (node.isArray()) {
            node.forEach(item -> {
                String[] pair = item.asText().split("=", 2);
                environment.put(pair[0], pair.length == 2 ? pair[1] : "");
            });
        } else {
            // A variable whose default is empty reads as YAML null: it is set to nothing, as Compose sets it.
            node.fields().forEachRemaining(entry -> environment.put(entry.getKey(),
                    entry.getValue().isNull() ? "" : entry.getValue().asText()));
        }
        return environment;
    }

    /** The container side of the service's one published port ("[ip:]host:container[/tcp]"). */
    private static int containerPort(JsonNode service) {
        List<String> ports = list(service.path("ports"));
        assertThat(ports).hasSize(1);
        String mapping = ports.get(0).replace("/tcp", "");
        return Integer.parseInt(mapping.substring(mapping.lastIndexOf(':') + 1));
    }

    private static List<String> list(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(item -> values.add(item.asText()));
        return values;
    }

    private static BigDecimal bytes(String size) {
        Matcher matcher = Pattern.compile("(\\d+)([kmg]?)b?", Pattern.CASE_INSENSITIVE).matcher(size.trim());
        assertThat(matcher.matches()).as("memory " + size).isTrue();
        long factor = switch (matcher.group(2).toLowerCase()) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            case "g" -> 1L << 30;
            default -> 1L;
        };
        return BigDecimal.valueOf(Long.parseLong(matcher.group(1)) * factor);
    }
}
