package ai.trainingstore.deploy;

import ai.trainingstore.kind.RecordKind;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the packaged service does with a given environment (as a ConfigMap, a Secret or compose
 * sets it): the value of a key taken, as Quarkus takes it in the prod profile, from the
 * environment, else {@code src/main/resources/application.properties}, else the mapping's default.
 */
final class ServiceSettings {

    static final Path APPLICATION_PROPERTIES = Path.of("src", "main", "resources", "application.properties");

    private final Map<String, String> environment;

    private ServiceSettings(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    static ServiceSettings withEnvironment(Map<String, String> environment) {
        return new ServiceSettings(environment);
    }

    static Properties properties() {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(APPLICATION_PROPERTIES)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + APPLICATION_PROPERTIES, e);
        }
        return properties;
    }

    /** The value of a key, or null when nothing sets it and it has no default. */
    String value(String key) {
        String fromEnvironment = environment.get(ConfigKeys.environmentName(key));
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            return fromEnvironment;
        }
        String fromProperties = properties().getProperty(key);
        if (fromProperties != null && !fromProperties.isEmpty()) {
            return fromProperties;
        }
        Map<String, String> defaults = new LinkedHashMap<>(ConfigKeys.storeKeys());
        defaults.putAll(ConfigKeys.quarkusKeys("quarkus.http", "io.quarkus.vertx.http.runtime.VertxHttpConfig"));
        defaults.putAll(ConfigKeys.quarkusKeys("quarkus.datasource.reactive",
                "io.quarkus.reactive.datasource.runtime.DataSourceReactiveRuntimeConfig"));
        defaults.putAll(ConfigKeys.quarkusKeys("quarkus.datasource.jdbc", "io.quarkus.agroal.runtime.DataSourceJdbcRuntimeConfig"));
        return defaults.get(key);
    }

    int httpPort() {
        return Integer.parseInt(value("quarkus.http.port"));
    }

    /** The port the health endpoints answer on: the management port when that interface is on. */
    int healthPort() {
        if (Boolean.parseBoolean(valueOr("quarkus.management.enabled", "false"))) {
            return Integer.parseInt(valueOr("quarkus.management.port", "9000"));
        }
        return httpPort();
    }

    /** A health path as SmallRye Health serves it: /q/health/live, /q/health/ready, /q/health/started. */
    String healthPath(String check) {
        String root = "/" + trimSlashes(valueOr("quarkus.http.non-application-root-path", "q"));
        String health = root + "/" + trimSlashes(valueOr("quarkus.smallrye-health.root-path", "health"));
        String path = switch (check) {
            case "live" -> valueOr("quarkus.smallrye-health.liveness-path", "live");
            case "ready" -> valueOr("quarkus.smallrye-health.readiness-path", "ready");
            case "started" -> valueOr("quarkus.smallrye-health.startup-path", "started");
            default -> throw new IllegalArgumentException(check);
        };
        return health + "/" + trimSlashes(path);
    }

    String metricsPath() {
        return "/" + trimSlashes(valueOr("quarkus.http.non-application-root-path", "q")) + "/metrics";
    }

    Duration drainTimeout() {
        return duration(value("training-store.shutdown.drain-timeout"));
    }

    /** quarkus.shutdown.timeout when set (HTTP requests in flight on SIGTERM), else zero. */
    Duration httpShutdownTimeout() {
        String value = value("quarkus.shutdown.timeout");
        return value == null ? Duration.ZERO : duration(value);
    }

    String group() {
        return value("training-store.group");
    }

    /** The stream key of a kind (training-store.streams.*). */
    String stream(RecordKind kind) {
        return value("training-store.streams." + switch (kind) {
            case EVENTS -> "events";
            case TASKS -> "tasks";
            case TOOL_EXECUTIONS -> "tool-executions";
            case WORKFLOWS -> "workflows";
            case MESSAGES -> "messages";
            case FEEDBACK -> "feedback";
        });
    }

    /** PostgreSQL connections one replica may open: the reactive pool plus Flyway's JDBC pool. */
    int postgresConnectionsPerReplica() {
        return Integer.parseInt(value("quarkus.datasource.reactive.max-size"))
                + Integer.parseInt(value("quarkus.datasource.jdbc.max-size"));
    }

    private String valueOr(String key, String fallback) {
        String value = value(key);
        return value == null ? fallback : value;
    }

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

    /** SmallRye's duration syntax: ISO-8601 ({@code PT20S}) or a number with a unit ({@code 20s}, {@code 500ms}). */
    static Duration duration(String value) {
        Matcher simple = SIMPLE_DURATION.matcher(value.trim());
        if (simple.matches()) {
            long amount = Long.parseLong(simple.group(1));
            String unit = simple.group(2) == null ? "s" : simple.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        return Duration.parse(value.trim().toUpperCase());
    }

    private static String trimSlashes(String path) {
        return path.replaceAll("^/+|/+$", "");
    }
}
