package ai.trainingstore.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Where the suite finds PostgreSQL and Redis. Where a Docker engine answers, it starts PostgreSQL
 * 15 and Redis 7 containers; otherwise (our build machines) it uses the services already running
 * on localhost, which the application's defaults point at.
 *
 * <p>Each test run (JVM) gets its own stream keys and consumer group, {@code test:<run>:<kind>},
 * so two suites on one machine never read or delete each other's entries. Before the application
 * starts, the run's streams are reset and {@link #PUBLISHED_BEFORE_START} events published, so a
 * test can prove that entries sent before the first start of the store are kept.
 */
public class LocalServices implements QuarkusTestResourceLifecycleManager {

    private static final String RUN = "test:" + java.util.UUID.randomUUID().toString().substring(0, 8) + ":";
    public static final String GROUP = "training-store-test";
    private static final List<String> KINDS = List.of("events", "tasks", "tool_executions", "workflows",
            "messages", "feedback", "dead-letter");

    /** Number of events published before the application starts, with agent_id {@link #EARLY_AGENT}. */
    public static final int PUBLISHED_BEFORE_START = 25;
    public static final String EARLY_AGENT = "agent-published-before-start-" + System.nanoTime();

    /** This run's key for a stream, e.g. {@code test:1a2b3c4d:events}. */
    public static String stream(String kind) {
        return RUN + kind;
    }

    /** The run's streams, and the dead-letter counts the store keeps beside its dead-letter stream. */
    static List<String> runStreams() {
        List<String> keys = new java.util.ArrayList<>(KINDS.stream().map(LocalServices::stream).toList());
        keys.add(stream("dead-letter") + ":counts");
        return keys;
    }

    private PostgreSQLContainer postgres;
    private String redisHost = "localhost";
    private int redisPort = 6379;
    private GenericContainer<?> redis;

    @Override
    public Map<String, String> start() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("training-store.streams.events", stream("events"));
        overrides.put("training-store.streams.tasks", stream("tasks"));
        overrides.put("training-store.streams.tool-executions", stream("tool_executions"));
        overrides.put("training-store.streams.workflows", stream("workflows"));
        overrides.put("training-store.streams.messages", stream("messages"));
        overrides.put("training-store.streams.feedback", stream("feedback"));
        overrides.put("training-store.streams.dead-letter", stream("dead-letter"));
        overrides.put("training-store.group", GROUP);
        if (dockerAvailable()) {
            postgres = new PostgreSQLContainer("postgres:15-alpine");
            postgres.start();
            redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
            redis.start();
            redisHost = redis.getHost();
            redisPort = redis.getMappedPort(6379);
            overrides.put("quarkus.datasource.reactive.url", "postgresql://" + postgres.getHost() + ":"
                    + postgres.getMappedPort(5432) + "/" + postgres.getDatabaseName());
            overrides.put("quarkus.datasource.jdbc.url", postgres.getJdbcUrl());
            overrides.put("quarkus.datasource.username", postgres.getUsername());
            overrides.put("quarkus.datasource.password", postgres.getPassword());
            overrides.put("quarkus.redis.hosts", "redis://" + redisHost + ":" + redisPort);
        }
        TestRedis.resetStreamsAndPublishEarlyEvents(redisHost, redisPort);
        return overrides;
    }

    @Override
    public void stop() {
        try {
            TestRedis.deleteStreams(redisHost, redisPort);
        } catch (RuntimeException ignored) {
            // Redis already gone: nothing to tidy.
        }
        for (AutoCloseable container : List.<AutoCloseable>of(
                () -> { if (redis != null) redis.stop(); },
                () -> { if (postgres != null) postgres.stop(); })) {
            try {
                container.close();
            } catch (Exception ignored) {
                // best effort on the way out
            }
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }
}
