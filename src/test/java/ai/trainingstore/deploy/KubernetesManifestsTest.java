package ai.trainingstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.deploy.Manifests.Document;
import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Parses every manifest under k8s/ and checks what can drift from the service: probe paths and
 * ports against its configuration, environment names against its configuration mapping, the grace
 * period against its drain time, selectors against pod labels, the kustomizations against the
 * files that exist, the backup and the KEDA overlay against the ConfigMap and Secret they read.
 */
class KubernetesManifestsTest {

    private static final Path BASE = Manifests.ROOT.resolve("base");
    private static final Path KEDA = Manifests.ROOT.resolve("overlays").resolve("keda");
    private static final Path MONITORING = Manifests.ROOT.resolve("overlays").resolve("monitoring");
    private static final String NAME = "training-data-store";
    private static final Set<String> SECRET_KEYS = Set.of("QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_REDIS_PASSWORD",
            "TRAINING_STORE_TOKENS");
    /** PostgreSQL's default max_connections (100) less room for psql, backups and monitoring. */
    private static final int POSTGRES_CONNECTION_BUDGET = 90;

    private final List<Document> base = Manifests.in(BASE);
    private final ConfigMap configMap = Manifests.one(base, "ConfigMap", NAME).as(ConfigMap.class);
    private final Secret secret = Manifests.one(base, "Secret", NAME).as(Secret.class);
    private final Deployment deployment = Manifests.one(base, "Deployment", NAME).as(Deployment.class);
    private final PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    private final Container container = pod.getContainers().get(0);
    private final ServiceSettings service = ServiceSettings.withEnvironment(podEnvironment());

    @Test
    void everyManifestIsAKnownKindThatReadsWithoutUnknownFields() {
        List<Document> documents = Manifests.all();
        assertThat(documents).as("manifests under k8s/").isNotEmpty();
        for (Document document : documents) {
            String kind = document.kind();
            String apiVersion = document.tree().path("apiVersion").asText();
            switch (kind) {
                case "Kustomization" -> {
                    assertThat(apiVersion).as(document.toString()).isEqualTo("kustomize.config.k8s.io/v1beta1");
                    assertThat(fieldNames(document.tree())).as(document + " fields")
                            .isSubsetOf("apiVersion", "kind", "resources", "labels", "images", "patches", "namespace",
                                    "configMapGenerator");
                }
                case "ServiceMonitor", "PrometheusRule" -> {
                    assertThat(apiVersion).as(document.toString()).isEqualTo("monitoring.coreos.com/v1");
                    assertThat(document.name()).as(document + " name").isNotBlank();
                    assertThat(document.tree().path("spec").isObject()).as(document + " spec").isTrue();
                }
                case "ScaledObject", "TriggerAuthentication" -> {
                    assertThat(apiVersion).as(document.toString()).isEqualTo("keda.sh/v1alpha1");
                    assertThat(document.name()).as(document + " name").isNotBlank();
                }
                default -> {
                    Manifests.Model model = Manifests.MODELS.get(kind);
                    assertThat(model).as(document + ": a kind this test knows (add it to Manifests.MODELS)").isNotNull();
                    assertThat(apiVersion).as(document + " apiVersion").isEqualTo(model.apiVersion());
                    assertThat(document.name()).as(document + " name").isNotBlank();
                    assertThat(Manifests.unknownFields(document.as(model.type())))
                            .as(document + ": fields the Kubernetes API does not know").isEmpty();
                }
            }
        }
    }

    @Test
    void aMisspeltFieldIsCaught() throws IOException {
        JsonNode tree = Manifests.YAML.readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  template:
                    spec:
                      containers:
                        - name: x
                          readinesProbe: {httpGet: {path: /q/health/ready, port: 8080}}
                """);
        Object model = new Document(Path.of("inline.yaml"), 0, tree).as(Deployment.class);
        assertThat(Manifests.unknownFields(model)).singleElement().asString().endsWith("containers[0].readinesProbe");
    }

    @Test
    void everyDirectoryIsAKustomizationThatListsEveryFileInIt() throws IOException {
        Set<Path> directories = new LinkedHashSet<>();
        Manifests.yamlFiles().forEach(file -> directories.add(file.getParent()));
        assertThat(directories).contains(Manifests.ROOT, BASE, KEDA, MONITORING);
        for (Path directory : directories) {
            Path kustomization = directory.resolve("kustomization.yaml");
            assertThat(kustomization).as(directory + " needs a kustomization.yaml").exists();
            List<String> resources = list(Manifests.read(kustomization).get(0).tree().path("resources"));
            for (String resource : resources) {
                Path target = directory.resolve(resource).normalize();
                assertThat(Files.isRegularFile(target) || Files.isRegularFile(target.resolve("kustomization.yaml")))
                        .as(kustomization + " lists " + resource + ", which must be a file or a kustomization directory")
                        .isTrue();
            }
            try (Stream<Path> files = Files.list(directory)) {
                List<String> manifests = files.map(file -> file.getFileName().toString())
                        .filter(name -> name.endsWith(".yaml") || name.endsWith(".yml"))
                        .filter(name -> !name.equals("kustomization.yaml"))
                        .toList();
                assertThat(resources).as(kustomization + " must list every manifest beside it").containsAll(manifests);
            }
            List<String> generated = generatorFiles(Manifests.read(kustomization).get(0).tree());
            for (String file : generated) {
                assertThat(directory.resolve(file)).as(kustomization + " generates from " + file).isRegularFile();
            }
            try (Stream<Path> files = Files.list(directory)) {
                List<String> others = files.filter(Files::isRegularFile).map(file -> file.getFileName().toString())
                        .filter(name -> !name.endsWith(".yaml") && !name.endsWith(".yml")).toList();
                assertThat(generated).as(kustomization + " must use every other file beside it in a generator")
                        .containsAll(others);
            }
        }
    }

    @Test
    void theMonitoringOverlayScrapesTheStoresServiceAndShipsTheDashboardAndAlerts() throws IOException {
        List<Document> overlay = Manifests.in(MONITORING);
        Service httpService = Manifests.one(base, "Service", NAME).as(Service.class);
        JsonNode monitor = Manifests.one(overlay, "ServiceMonitor", NAME).tree();
        Map<String, String> selector = Manifests.YAML.convertValue(monitor.at("/spec/selector/matchLabels"),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { });
        assertThat(selector).as("ServiceMonitor selector").isNotEmpty();
        assertThat(httpService.getMetadata().getLabels()).as("the Service's labels, which a ServiceMonitor selects")
                .containsAllEntriesOf(selector);
        assertThat(monitor.at("/spec/endpoints")).hasSize(1);
        JsonNode endpoint = monitor.at("/spec/endpoints/0");
        assertThat(httpService.getSpec().getPorts()).extracting(io.fabric8.kubernetes.api.model.ServicePort::getName)
                .as("ServiceMonitor port is a named port of the Service").contains(endpoint.path("port").asText());
        assertThat(endpoint.path("path").asText()).isEqualTo(service.metricsPath());

        JsonNode rule = Manifests.one(overlay, "PrometheusRule", NAME).tree();
        assertThat(rule.at("/spec/groups")).as("PrometheusRule groups").isNotEmpty();

        JsonNode kustomization = Manifests.one(overlay, "Kustomization", "").tree();
        JsonNode dashboard = kustomization.path("configMapGenerator").get(0);
        assertThat(dashboard.at("/options/labels/grafana_dashboard").asText()).as("the Grafana sidecar's label").isEqualTo("1");
        assertThat(dashboard.at("/options/disableNameSuffixHash").asBoolean()).isTrue();
        for (String file : generatorFiles(kustomization)) {
            JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(MONITORING.resolve(file).toFile());
            assertThat(json.path("panels")).as(file + " panels").isNotEmpty();
        }
    }

    @Test
    void autoscalingIsAnOverlayThatIsOffByDefault() {
        List<Document> byDefault = build(Manifests.ROOT);
        List<Document> withKeda = build(KEDA);
        assertThat(byDefault).extracting(Document::kind).doesNotContain("ScaledObject", "TriggerAuthentication");
        assertThat(byDefault).extracting(Document::toString)
                .as("k8s/ applies the whole base").containsExactlyInAnyOrderElementsOf(base.stream()
                        .filter(document -> !document.kind().equals("Kustomization")).map(Document::toString).toList());
        assertThat(withKeda).extracting(Document::toString).containsAll(byDefault.stream().map(Document::toString).toList());
        assertThat(withKeda).extracting(Document::kind).contains("ScaledObject", "TriggerAuthentication");
        List<Document> withMonitoring = build(MONITORING);
        assertThat(byDefault).extracting(Document::kind).doesNotContain("ServiceMonitor", "PrometheusRule");
        assertThat(withMonitoring).extracting(Document::toString)
                .containsAll(byDefault.stream().map(Document::toString).toList());
        assertThat(withMonitoring).extracting(Document::kind).contains("ServiceMonitor", "PrometheusRule");
    }

    @Test
    void probesAskTheServicesHealthEndpointsOnItsPort() {
        assertThat(port(container, "http")).as("container port http = quarkus.http.port").isEqualTo(service.httpPort());
        assertProbe("startupProbe", container.getStartupProbe(), service.healthPath("started"));
        assertProbe("readinessProbe", container.getReadinessProbe(), service.healthPath("ready"));
        assertProbe("livenessProbe", container.getLivenessProbe(), service.healthPath("live"));
        assertThat(service.healthPath("ready")).isEqualTo("/q/health/ready");
        Map<String, String> annotations = deployment.getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations).containsEntry("prometheus.io/path", service.metricsPath())
                .containsEntry("prometheus.io/port", Integer.toString(service.httpPort()));
    }

    @Test
    void everyEnvironmentVariableIsAConfigurationKeyOfTheService() {
        Set<String> known = ConfigKeys.knownEnvironmentNames();
        List<String> names = new ArrayList<>();
        names.addAll(configMap.getData().keySet());
        names.addAll(secretKeys());
        container.getEnv().forEach(variable -> names.add(variable.getName()));
        assertThat(names).as("variables the store's pods get").isNotEmpty();
        assertThat(names).as("every variable must be a key the service reads (StoreConfig, Quarkus' connection"
                + " settings or application.properties); a misspelt one is silently ignored").allMatch(known::contains);
        assertThat(names).contains("QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_JDBC_URL",
                "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_REDIS_HOSTS",
                "QUARKUS_REDIS_PASSWORD", "TRAINING_STORE_TOKENS", "TRAINING_STORE_CONSUMER_NAME");
    }

    @Test
    void thePodGetsTheConfigMapAndTheSecretAndItsNameAsConsumerName() {
        assertThat(container.getEnvFrom()).extracting(from -> from.getConfigMapRef() == null ? null : from.getConfigMapRef().getName())
                .contains(configMap.getMetadata().getName());
        assertThat(container.getEnvFrom()).extracting(from -> from.getSecretRef() == null ? null : from.getSecretRef().getName())
                .contains(secret.getMetadata().getName());
        for (EnvFromSource from : container.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                Manifests.one(base, "ConfigMap", from.getConfigMapRef().getName());
            }
            if (from.getSecretRef() != null) {
                Manifests.one(base, "Secret", from.getSecretRef().getName());
            }
        }
        EnvVar consumer = container.getEnv().stream().filter(variable -> variable.getName().equals("TRAINING_STORE_CONSUMER_NAME"))
                .findFirst().orElseThrow(() -> new AssertionError("TRAINING_STORE_CONSUMER_NAME is not set"));
        assertThat(consumer.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(configMap.getData()).doesNotContainKey("TRAINING_STORE_CONSUMER_NAME");
    }

    @Test
    void theGracePeriodOutlastsPreStopAndTheConsumersDrain() {
        Duration preStop = Duration.ZERO;
        if (container.getLifecycle() != null && container.getLifecycle().getPreStop() != null) {
            List<String> command = container.getLifecycle().getPreStop().getExec().getCommand();
            assertThat(command).as("preStop").hasSize(2).first().isEqualTo("sleep");
            preStop = Duration.ofSeconds(Long.parseLong(command.get(1)));
        }
        Duration needed = preStop.plus(service.drainTimeout()).plus(service.httpShutdownTimeout());
        assertThat(service.drainTimeout()).as("training-store.shutdown.drain-timeout").isPositive();
        assertThat(Duration.ofSeconds(pod.getTerminationGracePeriodSeconds()))
                .as("terminationGracePeriodSeconds vs preStop %s + drain %s + HTTP shutdown %s", preStop,
                        service.drainTimeout(), service.httpShutdownTimeout())
                .isGreaterThan(needed);
    }

    @Test
    void thePodRunsAsTheImagesNonRootUserOnAReadOnlyRootFileSystem() {
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).as("the Dockerfile's USER")
                .isEqualTo(Long.parseLong(Dockerfile.read().user()));
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
        assertWritableEmptyDir(pod, container, "/tmp");
    }

    @Test
    void resourcesAreBoundedAndLeaveTheJvmEnoughHeap() {
        Map<String, Quantity> requests = container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources().getLimits();
        for (String resource : List.of("cpu", "memory")) {
            assertThat(requests).as("requests").containsKey(resource);
            assertThat(limits).as("limits").containsKey(resource);
            assertThat(Quantity.getAmountInBytes(requests.get(resource)))
                    .as(resource + " request <= limit").isLessThanOrEqualTo(Quantity.getAmountInBytes(limits.get(resource)));
        }
        BigDecimal heap = Quantity.getAmountInBytes(limits.get("memory"))
                .multiply(BigDecimal.valueOf(Dockerfile.read().maxRamPercentage() / 100));
        // The fault tests run the packaged service with -Xmx256m through 50,000 records.
        assertThat(heap).as("heap = memory limit x MaxRAMPercentage of the image").isGreaterThanOrEqualTo(BigDecimal.valueOf(256L << 20));
    }

    @Test
    void selectorsPickTheStorePodsAndNeverTheBackupPods() {
        Map<String, String> storePod = deployment.getSpec().getTemplate().getMetadata().getLabels();
        CronJob backup = Manifests.one(base, "CronJob", NAME + "-backup").as(CronJob.class);
        Map<String, String> backupPod = backup.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels();
        assertThat(selects(deployment.getSpec().getSelector(), storePod)).as("Deployment selector").isTrue();

        Service httpService = Manifests.one(base, "Service", NAME).as(Service.class);
        assertThat(storePod).as("Service selector").containsAllEntriesOf(httpService.getSpec().getSelector());
        assertThat(backupPod).as("Service selector must not pick backup pods")
                .doesNotContainEntry("app.kubernetes.io/component", httpService.getSpec().getSelector().get("app.kubernetes.io/component"));
        IntOrString targetPort = httpService.getSpec().getPorts().get(0).getTargetPort();
        assertThat(resolve(targetPort, container)).as("Service targetPort").isEqualTo(service.httpPort());

        PodDisruptionBudget budget = Manifests.one(base, "PodDisruptionBudget", NAME).as(PodDisruptionBudget.class);
        assertThat(selects(budget.getSpec().getSelector(), storePod)).as("PodDisruptionBudget selector").isTrue();
        assertThat(selects(budget.getSpec().getSelector(), backupPod)).as("PodDisruptionBudget on backup pods").isFalse();
        assertThat(budget.getSpec().getMaxUnavailable()).as("one replica at a time").isEqualTo(new IntOrString(1));

        NetworkPolicy storePolicy = Manifests.one(base, "NetworkPolicy", NAME).as(NetworkPolicy.class);
        NetworkPolicy backupPolicy = Manifests.one(base, "NetworkPolicy", NAME + "-backup").as(NetworkPolicy.class);
        assertThat(selects(storePolicy.getSpec().getPodSelector(), storePod)).isTrue();
        assertThat(selects(storePolicy.getSpec().getPodSelector(), backupPod)).isFalse();
        assertThat(selects(backupPolicy.getSpec().getPodSelector(), backupPod)).isTrue();
        assertThat(selects(backupPolicy.getSpec().getPodSelector(), storePod)).isFalse();
    }

    @Test
    void networkPoliciesLetTheStoreReachPostgresAndRedisAndClientsReachTheStore() {
        NetworkPolicy storePolicy = Manifests.one(base, "NetworkPolicy", NAME).as(NetworkPolicy.class);
        assertThat(storePolicy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        Set<Integer> ingress = new HashSet<>();
        storePolicy.getSpec().getIngress().forEach(rule -> rule.getPorts().forEach(port -> ingress.add(resolve(port.getPort(), container))));
        assertThat(ingress).as("ingress ports").contains(service.httpPort());

        Set<String> egress = egressPorts(storePolicy);
        int postgres = port(URI.create(configMap.getData().get("QUARKUS_DATASOURCE_REACTIVE_URL")), 5432);
        int postgresJdbc = port(URI.create(configMap.getData().get("QUARKUS_DATASOURCE_JDBC_URL").substring("jdbc:".length())), 5432);
        assertThat(egress).as("egress of the store pods")
                .contains("TCP/" + postgres, "TCP/" + postgresJdbc, "UDP/53");
        for (String host : configMap.getData().get("QUARKUS_REDIS_HOSTS").split(",")) {
            assertThat(egress).as("egress to Redis " + host).contains("TCP/" + port(URI.create(host.trim()), 6379));
        }

        NetworkPolicy backupPolicy = Manifests.one(base, "NetworkPolicy", NAME + "-backup").as(NetworkPolicy.class);
        assertThat(backupPolicy.getSpec().getIngress()).as("nothing may connect to backup pods").isEmpty();
        assertThat(egressPorts(backupPolicy)).contains("TCP/" + postgresJdbc, "UDP/53");
    }

    @Test
    void theSecretIsAnExampleWithNothingUsableInIt() {
        assertThat(secret.getData()).as("data (base64) would hide real values: use stringData").isNullOrEmpty();
        assertThat(secret.getStringData()).as("Secret keys").containsOnlyKeys(SECRET_KEYS);
        assertThat(secret.getStringData().values()).as("example values must be empty: an applied example must not be a"
                + " working password or token").allMatch(String::isEmpty);
        assertThat(configMap.getData().keySet()).as("secrets never go into the ConfigMap")
                .noneMatch(key -> key.contains("PASSWORD") || key.contains("TOKEN"));
    }

    @Test
    void theBackupDumpsTheStoresSchemaWithTheStoresOwnConnectionSettings() {
        CronJob backup = Manifests.one(base, "CronJob", NAME + "-backup").as(CronJob.class);
        assertThat(backup.getSpec().getSchedule().trim().split("\\s+")).as("cron schedule").hasSize(5);
        assertThat(backup.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
        PodSpec backupPod = backup.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        assertThat(backupPod.getRestartPolicy()).isIn("Never", "OnFailure");
        Container dump = backupPod.getContainers().get(0);
        assertThat(dump.getImage()).startsWith("postgres:");
        String script = String.join("\n", dump.getArgs());
        String schema = ServiceSettings.properties().getProperty("quarkus.flyway.schemas");
        assertThat(script).contains("pg_dump", "--schema=" + schema, "--format=custom");

        Set<String> referenced = new HashSet<>();
        for (EnvVar variable : dump.getEnv()) {
            if (variable.getValueFrom() == null) {
                continue;
            }
            if (variable.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = variable.getValueFrom().getConfigMapKeyRef();
                assertThat(ref.getName()).isEqualTo(configMap.getMetadata().getName());
                assertThat(configMap.getData()).as("ConfigMap keys the backup reads").containsKey(ref.getKey());
                referenced.add(ref.getKey());
            }
            if (variable.getValueFrom().getSecretKeyRef() != null) {
                var ref = variable.getValueFrom().getSecretKeyRef();
                assertThat(ref.getName()).isEqualTo(secret.getMetadata().getName());
                assertThat(secret.getStringData()).as("Secret keys the backup reads").containsKey(ref.getKey());
                referenced.add(ref.getKey());
            }
        }
        assertThat(referenced).contains("QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD");

        String backupDir = dump.getEnv().stream().filter(variable -> variable.getName().equals("BACKUP_DIR"))
                .map(EnvVar::getValue).findFirst().orElseThrow();
        VolumeMount mount = dump.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(backupDir)).findFirst()
                .orElseThrow(() -> new AssertionError("BACKUP_DIR " + backupDir + " is not a mounted volume"));
        Volume volume = volume(backupPod, mount.getName());
        String claim = volume.getPersistentVolumeClaim().getClaimName();
        assertThat(Manifests.one(base, "PersistentVolumeClaim", claim).as(PersistentVolumeClaim.class)
                .getSpec().getResources().getRequests()).containsKey("storage");

        assertThat(backupPod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(dump.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertWritableEmptyDir(backupPod, dump, "/tmp");
    }

    @Test
    void kedaScalesTheDeploymentOnTheLagOfEveryStreamWithinPostgresConnections() {
        List<Document> overlay = Manifests.in(KEDA);
        JsonNode scaled = Manifests.one(overlay, "ScaledObject", NAME).tree();
        assertThat(fieldNames(scaled.path("spec"))).isSubsetOf("scaleTargetRef", "minReplicaCount", "maxReplicaCount",
                "pollingInterval", "cooldownPeriod", "idleReplicaCount", "fallback", "advanced", "triggers");
        assertThat(scaled.at("/spec/scaleTargetRef/name").asText()).isEqualTo(deployment.getMetadata().getName());
        int min = scaled.at("/spec/minReplicaCount").asInt();
        int max = scaled.at("/spec/maxReplicaCount").asInt();
        assertThat(min).as("minReplicaCount: a live replica claims and trims").isGreaterThanOrEqualTo(1);
        assertThat(max).isGreaterThanOrEqualTo(min);
        assertThat(max * service.postgresConnectionsPerReplica())
                .as("maxReplicaCount x PostgreSQL connections per replica (%d)", service.postgresConnectionsPerReplica())
                .isLessThanOrEqualTo(POSTGRES_CONNECTION_BUDGET);

        URI redis = URI.create(configMap.getData().get("QUARKUS_REDIS_HOSTS").split(",")[0].trim());
        Set<String> streams = new HashSet<>();
        for (JsonNode trigger : scaled.at("/spec/triggers")) {
            assertThat(trigger.path("type").asText()).isEqualTo("redis-streams");
            JsonNode metadata = trigger.path("metadata");
            assertThat(fieldNames(metadata)).as("redis-streams trigger metadata").isSubsetOf("address", "host", "port",
                    "stream", "consumerGroup", "pendingEntriesCount", "streamLength", "lagCount", "activationLagCount",
                    "enableTLS", "unsafeSsl", "databaseIndex", "usernameFromEnv", "passwordFromEnv");
            assertThat(metadata.path("address").asText()).isEqualTo(redis.getHost() + ":" + port(redis, 6379));
            assertThat(metadata.path("consumerGroup").asText()).as("consumerGroup = training-store.group").isEqualTo(service.group());
            assertThat(Long.parseLong(metadata.path("lagCount").asText())).as("lagCount").isPositive();
            streams.add(metadata.path("stream").asText());
            String authentication = trigger.at("/authenticationRef/name").asText();
            JsonNode secretRef = Manifests.one(overlay, "TriggerAuthentication", authentication).tree().at("/spec/secretTargetRef/0");
            assertThat(secretRef.path("parameter").asText()).isEqualTo("password");
            assertThat(secretRef.path("name").asText()).isEqualTo(secret.getMetadata().getName());
            assertThat(secret.getStringData()).containsKey(secretRef.path("key").asText());
        }
        assertThat(streams).as("one trigger per stream (training-store.streams.*)")
                .containsExactlyInAnyOrderElementsOf(Stream.of(RecordKind.values()).map(service::stream).toList());

        JsonNode patches = Manifests.one(overlay, "Kustomization", "").tree().path("patches");
        assertThat(patches.toString()).as("the overlay leaves the replica count to KEDA's HPA")
                .contains("Deployment", "remove", "/spec/replicas");
    }

    @Test
    void theImageIsTheProjectsAtItsVersion() {
        JsonNode images = Manifests.one(base, "Kustomization", "").tree().path("images");
        assertThat(images).hasSize(1);
        assertThat(images.get(0).path("name").asText()).isEqualTo(container.getImage());
        assertThat(images.get(0).path("newTag").asText()).as("image tag = pom.xml version").isEqualTo(Pom.read().version());
        assertThat(Pom.read().jib("configuration/to/image")).isEqualTo(container.getImage() + ":" + Pom.read().version());
    }

    // ---------------------------------------------------------------- helpers

    /** What the store's container sees: the ConfigMap, the Secret, its own env values. */
    private Map<String, String> podEnvironment() {
        Map<String, String> environment = new HashMap<>(configMap.getData());
        if (secret.getStringData() != null) {
            environment.putAll(secret.getStringData());
        }
        container.getEnv().stream().filter(variable -> variable.getValue() != null)
                .forEach(variable -> environment.put(variable.getName(), variable.getValue()));
        return environment;
    }

    private Set<String> secretKeys() {
        Set<String> keys = new HashSet<>();
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        return keys;
    }

    private void assertProbe(String name, Probe probe, String path) {
        assertThat(probe).as(name).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as(name + " path").isEqualTo(path);
        assertThat(resolve(probe.getHttpGet().getPort(), container)).as(name + " port").isEqualTo(service.healthPort());
    }

    private static void assertWritableEmptyDir(PodSpec pod, Container container, String path) {
        VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no volume at " + path));
        assertThat(mount.getReadOnly()).as(path + " writable").isNotEqualTo(Boolean.TRUE);
        assertThat(volume(pod, mount.getName()).getEmptyDir()).as(path + " is an emptyDir").isNotNull();
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(volume -> volume.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static int port(Container container, String name) {
        return container.getPorts().stream().filter(port -> name.equals(port.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("container " + container.getName() + " has no port named " + name));
    }

    private static int resolve(IntOrString port, Container container) {
        return port.getIntVal() != null ? port.getIntVal() : port(container, port.getStrVal());
    }

    private static int port(URI uri, int fallback) {
        return uri.getPort() > 0 ? uri.getPort() : fallback;
    }

    private static Set<String> egressPorts(NetworkPolicy policy) {
        Set<String> ports = new HashSet<>();
        policy.getSpec().getEgress().forEach(rule -> {
            for (NetworkPolicyPort port : rule.getPorts()) {
                ports.add(Objects.requireNonNullElse(port.getProtocol(), "TCP") + "/" + port.getPort().getIntVal());
            }
        });
        return ports;
    }

    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        assertThat(selector.getMatchExpressions()).as("selectors use matchLabels only").isNullOrEmpty();
        assertThat(selector.getMatchLabels()).as("an empty selector picks every pod").isNotEmpty();
        return labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The files a kustomization's generators read ({@code key=file} or {@code file}). */
    private static List<String> generatorFiles(JsonNode kustomization) {
        List<String> files = new ArrayList<>();
        kustomization.path("configMapGenerator").forEach(generator -> generator.path("files").forEach(file -> {
            String entry = file.asText();
            files.add(entry.contains("=") ? entry.substring(entry.indexOf('=') + 1) : entry);
        }));
        return files;
    }

    private static List<String> list(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(item -> values.add(item.asText()));
        return values;
    }

    /** The documents `kubectl apply -k directory` would send, followed through directory resources. */
    private static List<Document> build(Path directory) {
        Path kustomization = directory.resolve("kustomization.yaml");
        List<Document> documents = new ArrayList<>();
        for (String resource : list(Manifests.read(kustomization).get(0).tree().path("resources"))) {
            Path target = directory.resolve(resource).normalize();
            if (Files.isDirectory(target)) {
                documents.addAll(build(target));
            } else {
                documents.addAll(Manifests.read(target));
            }
        }
        return documents;
    }
}
