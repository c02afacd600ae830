package ai.trainingstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The key lists the deployment tests check against are the service's real ones, and they reject typos. */
class ConfigKeysTest {

    @Test
    void storeKeysComeFromTheConfigMappingWithItsNamesAndDefaults() {
        Map<String, String> keys = ConfigKeys.storeKeys();
        assertThat(keys).containsKeys("training-store.group", "training-store.consumer-name", "training-store.tokens",
                "training-store.batch.size", "training-store.delivery.max-entry-bytes",
                "training-store.streams.tool-executions", "training-store.streams.dead-letter");
        assertThat(keys).containsEntry("training-store.shutdown.drain-timeout", "20s")
                .containsEntry("training-store.streams.events", "training:events");
        assertThat(keys.keySet()).noneMatch(key -> key.contains("toolExecutions") || key.contains("_") || key.endsWith(".of"));
        assertThat(ServiceSettings.duration(keys.get("training-store.shutdown.drain-timeout"))).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void environmentNamesAreThoseQuarkusReadsAndTyposAreNot() {
        Set<String> names = ConfigKeys.knownEnvironmentNames();
        assertThat(names).contains("TRAINING_STORE_STREAMS_TOOL_EXECUTIONS", "TRAINING_STORE_SHUTDOWN_DRAIN_TIMEOUT",
                "TRAINING_STORE_CONSUMER_NAME", "TRAINING_STORE_TOKENS",
                "QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME",
                "QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_DATASOURCE_REACTIVE_MAX_SIZE", "QUARKUS_REDIS_HOSTS",
                "QUARKUS_REDIS_PASSWORD", "QUARKUS_REDIS_CLIENT_TYPE", "QUARKUS_REDIS_CLUSTER_TRANSACTIONS",
                "QUARKUS_HTTP_PORT");
        assertThat(names).doesNotContain("TRAINING_STORE_BATCH_SIZ", "TRAINING_STORE_CONSUMERNAME",
                "TRAINING_STORE_STREAMS_TOOLEXECUTIONS", "QUARKUS_REDIS_PASWORD", "QUARKUS_DATASOURCE_URL",
                "QUARKUS_REDIS_HOST");
        assertThat(ConfigKeys.environmentName("training-store.streams.tool-executions"))
                .isEqualTo("TRAINING_STORE_STREAMS_TOOL_EXECUTIONS");
    }

    @Test
    void settingsFollowEnvironmentThenPropertiesThenDefaults() {
        ServiceSettings defaults = ServiceSettings.withEnvironment(Map.of());
        assertThat(defaults.httpPort()).isEqualTo(8080);
        assertThat(defaults.drainTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.healthPath("started")).isEqualTo("/q/health/started");
        assertThat(defaults.group()).isEqualTo("training-store");
        ServiceSettings overridden = ServiceSettings.withEnvironment(Map.of("QUARKUS_HTTP_PORT", "9090",
                "TRAINING_STORE_SHUTDOWN_DRAIN_TIMEOUT", "45s", "TRAINING_STORE_GROUP", "other"));
        assertThat(overridden.httpPort()).isEqualTo(9090);
        assertThat(overridden.drainTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(overridden.group()).isEqualTo("other");
    }
}
