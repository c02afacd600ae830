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
 * <p>Before the application starts it also resets the test streams and publishes
 * {@link #PUBLISHED_BEFORE_START} entries, so a test can prove that entries sent before the first
 * start of the store are kept.
 */
public class LocalServices implements QuarkusTestResourceLifecycleManager {

    /** Number of events published before the application starts, with agent_id {@link #EARLY_AGENT}. */
    public static final int PUBLISHED_BEFORE_START = 25;
    public static final String EARLY_AGENT = "agent-published-before-start-" + System.nanoTime();

    private PostgreSQLContainer postgres;
    private GenericContainer<?> redis;

    @Override
    public Map<String, String> start() {
        Map<String, String> overrides = new HashMap<>();
        String redisHost = "localhost";
        int redisPort = 6379;
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
