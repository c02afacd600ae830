package ai.trainingstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs kustomize itself (`kubectl kustomize`, or `kustomize build`) on k8s/ and on the KEDA
 * overlay when either is installed, and checks what it renders. Skipped where neither is: the
 * other manifest tests do not need it.
 */
class KustomizeBuildTest {

    private static final String NAME = "training-data-store";

    @Test
    void theDefaultBuildIsTheBaseWithTheImageTagAndLabels() throws Exception {
        List<JsonNode> rendered = render(Manifests.ROOT);
        assertThat(kinds(rendered)).containsExactlyInAnyOrder("ConfigMap", "Secret", "Service", "PersistentVolumeClaim",
                "Deployment", "CronJob", "PodDisruptionBudget", "NetworkPolicy", "NetworkPolicy");
        for (JsonNode resource : rendered) {
            assertThat(resource.at("/metadata/labels/app.kubernetes.io~1part-of").asText()).as(name(resource))
                    .isEqualTo(NAME);
        }
        JsonNode deployment = only(rendered, "Deployment");
        assertThat(deployment.at("/spec/template/spec/containers/0/image").asText())
                .isEqualTo(NAME + ":" + Pom.read().version());
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(deployment.at("/spec/selector/matchLabels").toString()).as("selectors untouched by the label transformer")
                .doesNotContain("part-of");
    }

    @Test
    void theKedaOverlayAddsTheScalerAndLeavesTheReplicaCountToIt() throws Exception {
        List<JsonNode> rendered = render(Manifests.ROOT.resolve("overlays").resolve("keda"));
        assertThat(kinds(rendered)).contains("ScaledObject", "TriggerAuthentication", "Deployment");
        assertThat(only(rendered, "Deployment").at("/spec/replicas").isMissingNode()).isTrue();
        assertThat(only(rendered, "ScaledObject").at("/spec/scaleTargetRef/name").asText()).isEqualTo(NAME);
    }

    @Test
    void theMonitoringOverlayAddsTheScrapeTheAlertsAndTheDashboardConfigMap() throws Exception {
        List<JsonNode> rendered = render(Manifests.ROOT.resolve("overlays").resolve("monitoring"));
        assertThat(kinds(rendered)).contains("ServiceMonitor", "PrometheusRule", "Deployment", "Service");
        for (JsonNode resource : rendered) {
            assertThat(resource.at("/metadata/labels/app.kubernetes.io~1part-of").asText()).as(name(resource))
                    .isEqualTo(NAME);
        }
        JsonNode dashboard = rendered.stream().filter(resource -> name(resource).equals("ConfigMap/" + NAME + "-dashboard"))
                .findFirst().orElseThrow(() -> new AssertionError("no dashboard ConfigMap rendered"));
        assertThat(dashboard.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
        String json = dashboard.at("/data/training-data-store.json").asText();
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json))
                .isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(Manifests.ROOT.resolve("overlays/monitoring/dashboard.json").toFile()));
        assertThat(only(rendered, "Deployment").at("/spec/replicas").asInt()).as("the base's replicas").isEqualTo(2);
    }

    @Test
    void theReadReplicaOverlayWritesToTheRwServiceAndReadsFromTheRoService() throws Exception {
        List<JsonNode> rendered = render(Manifests.ROOT.resolve("overlays").resolve("read-replica"));
        JsonNode data = rendered.stream().filter(resource -> name(resource).equals("ConfigMap/" + NAME))
                .findFirst().orElseThrow().path("data");
        assertThat(ConfigKeys.knownEnvironmentNames()).contains("TRAINING_STORE_READ_URL", "TRAINING_STORE_READ_MAX_LAG");
        assertThat(java.net.URI.create(data.path("QUARKUS_DATASOURCE_REACTIVE_URL").asText()).getHost())
                .isEqualTo("training-rw");
        assertThat(data.path("QUARKUS_DATASOURCE_JDBC_URL").asText()).startsWith("jdbc:postgresql://training-rw:5432/");
        java.net.URI read = java.net.URI.create(data.path("TRAINING_STORE_READ_URL").asText());
        assertThat(read.getHost()).as("CloudNativePG's read-only Service").isEqualTo("training-ro");
        assertThat(read.getPath()).as("the same database").isEqualTo(
                java.net.URI.create(data.path("QUARKUS_DATASOURCE_REACTIVE_URL").asText()).getPath());
        assertThat(kinds(rendered)).contains("Deployment");
    }

    @Test
    void theRetentionOverlayMountsTheArchiveClaimWhereTheArchiveDirPoints() throws Exception {
        List<JsonNode> rendered = render(Manifests.ROOT.resolve("overlays").resolve("retention"));
        JsonNode claim = rendered.stream().filter(resource -> name(resource).equals("PersistentVolumeClaim/" + NAME + "-archive"))
                .findFirst().orElseThrow(() -> new AssertionError("no archive PersistentVolumeClaim rendered"));
        assertThat(claim.at("/spec/accessModes/0").asText()).as("every replica may hold the lock and write")
                .isEqualTo("ReadWriteMany");
        JsonNode configMap = rendered.stream().filter(resource -> name(resource).equals("ConfigMap/" + NAME))
                .findFirst().orElseThrow();
        String archiveDir = configMap.at("/data/TRAINING_STORE_RETENTION_ARCHIVE_DIR").asText();
        assertThat(ConfigKeys.knownEnvironmentNames()).contains("TRAINING_STORE_RETENTION_ARCHIVE_DIR");
        assertThat(archiveDir).isEqualTo("/archive");
        JsonNode pod = only(rendered, "Deployment").at("/spec/template/spec");
        String volume = null;
        for (JsonNode candidate : pod.path("volumes")) {
            if (candidate.at("/persistentVolumeClaim/claimName").asText().equals(NAME + "-archive")) {
                volume = candidate.path("name").asText();
            }
        }
        assertThat(volume).as("a volume of the archive claim").isNotNull();
        boolean mounted = false;
        for (JsonNode mount : pod.at("/containers/0/volumeMounts")) {
            mounted |= mount.path("name").asText().equals(volume) && mount.path("mountPath").asText().equals(archiveDir);
        }
        assertThat(mounted).as("the archive volume mounted at " + archiveDir).isTrue();
        assertThat(pod.at("/securityContext/fsGroup").asInt()).as("the non-root user can write the volume").isEqualTo(185);
    }

    private static List<JsonNode> render(Path directory) throws IOException, InterruptedException {
        Optional<List<String>> command = executable("kubectl").map(kubectl -> List.of(kubectl, "kustomize", directory.toString()))
                .or(() -> executable("kustomize").map(kustomize -> List.of(kustomize, "build", directory.toString())));
        assumeTrue(command.isPresent(), "neither kubectl nor kustomize is installed");
        Process process = new ProcessBuilder(command.get()).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command.get()) + ": " + errors).isZero();
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> iterator = Manifests.YAML.readerFor(JsonNode.class).readValues(output)) {
            iterator.forEachRemaining(documents::add);
        }
        return documents;
    }

    private static Optional<String> executable(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    private static List<String> kinds(List<JsonNode> documents) {
        return documents.stream().map(document -> document.path("kind").asText()).toList();
    }

    private static String name(JsonNode document) {
        return document.path("kind").asText() + "/" + document.at("/metadata/name").asText();
    }

    private static JsonNode only(List<JsonNode> documents, String kind) {
        List<JsonNode> found = documents.stream().filter(document -> document.path("kind").asText().equals(kind)).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }
}
