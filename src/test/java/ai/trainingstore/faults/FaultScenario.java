package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One fault test's world: its own stream keys and group (so tests never share state), a publisher
 * that XADDs known records, and the SQL that counts what arrived. Events are counted by id; task
 * updates carry increasing {@code occurred_at} per task, so the expected merged row is known.
 */
public final class FaultScenario implements AutoCloseable {

    /** The database the services started here use: the same setting they read, else the machine's default. */
    public static final String JDBC_URL = System.getProperty("fault.jdbc.url", System.getenv().getOrDefault(
            "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://localhost:5432/postgres"));
    static final String TASK_STATUSES[] = {"queued", "running", "tool_call", "reviewing", "completed"};

    private final String prefix;
    private final Vertx vertx = Vertx.vertx();
    private final Redis redis;
    private final Map<String, String> redisEnvironment;
    private final Random random = new Random(42);
    private int eventsPublished;
    private final Map<String, Integer> updatesPerTask = new HashMap<>();

    /** A scenario on the machine's Redis (localhost:6379). */
    public FaultScenario() {
        this("fault-" + UUID.randomUUID().toString().substring(0, 8),
                new RedisOptions().setConnectionString("redis://localhost:6379"), Map.of());
    }

    /**
     * A scenario on another Redis, such as a cluster: {@code redisOptions} for the publisher here,
     * {@code redisEnvironment} (QUARKUS_REDIS_...) for the services it starts.
     */
    FaultScenario(String prefix, RedisOptions redisOptions, Map<String, String> redisEnvironment) {
        this.prefix = prefix;
        this.redis = Redis.createClient(vertx, redisOptions);
        this.redisEnvironment = Map.copyOf(redisEnvironment);
    }

    public String prefix() {
        return prefix;
    }

    public String stream(String kind) {
        return prefix + ":" + kind;
    }

    public String group() {
        return prefix + "-group";
    }

    public Map<String, String> serviceEnvironment() {
        Map<String, String> environment = new HashMap<>();
        environment.put("TRAINING_STORE_STREAMS_EVENTS", stream("events"));
        environment.put("TRAINING_STORE_STREAMS_TASKS", stream("tasks"));
        environment.put("TRAINING_STORE_STREAMS_TOOL_EXECUTIONS", stream("tool_executions"));
        environment.put("TRAINING_STORE_STREAMS_WORKFLOWS", stream("workflows"));
        environment.put("TRAINING_STORE_STREAMS_MESSAGES", stream("messages"));
        environment.put("TRAINING_STORE_STREAMS_FEEDBACK", stream("feedback"));
        environment.put("TRAINING_STORE_STREAMS_DEAD_LETTER", stream("dead-letter"));
        environment.put("TRAINING_STORE_GROUP", group());
        environment.put("TRAINING_STORE_BATCH_BLOCK", "500ms");
        environment.put("TRAINING_STORE_DELIVERY_CLAIM_IDLE", "5s");
        environment.put("TRAINING_STORE_DELIVERY_CLAIM_INTERVAL", "1s");
        environment.put("TRAINING_STORE_DELIVERY_RETRY_MAX", "2s");
        environment.put("TRAINING_STORE_SHUTDOWN_DRAIN_TIMEOUT", "10s");
        environment.putAll(redisEnvironment);
        return environment;
    }

    /** Publishes {@code count} more events, pipelined in chunks. */
    void publishEvents(int count) {
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = eventsPublished++;
            requests.add(Request.cmd(Command.XADD).arg(stream("events")).arg("*")
                    .arg("event_id").arg(prefix + "-e-" + n).arg("event_type").arg("fault_test")
                    .arg("agent_id").arg(prefix).arg("payload").arg("{\"n\":" + n + ",\"text\":\"" + "x".repeat(200) + "\"}"));
        }
        publish(requests);
    }

    /**
     * Publishes the status updates of {@code tasks} new tasks, every update of every task in one
     * random order (so later updates often arrive before earlier ones).
     */
    void publishTaskUpdates(int tasks) {
        List<Request> requests = new ArrayList<>();
        Instant base = Instant.parse("2026-06-01T00:00:00Z");
        int first = updatesPerTask.size();
        for (int t = first; t < first + tasks; t++) {
            String taskId = prefix + "-t-" + t;
            updatesPerTask.put(taskId, TASK_STATUSES.length);
            for (int u = 0; u < TASK_STATUSES.length; u++) {
                requests.add(Request.cmd(Command.XADD).arg(stream("tasks")).arg("*")
                        .arg("task_id").arg(taskId).arg("agent_id").arg(prefix).arg("status").arg(TASK_STATUSES[u])
                        .arg("occurred_at").arg(base.plusSeconds(t * 60L + u).toString())
                        .arg("step_" + u).arg(Integer.toString(u)));
            }
        }
        Collections.shuffle(requests, random);
        publish(requests);
    }

    int eventsPublished() {
        return eventsPublished;
    }

    int tasksPublished() {
        return updatesPerTask.size();
    }

    int taskUpdatesPublished() {
        return updatesPerTask.size() * TASK_STATUSES.length;
    }

    /**
     * Sends the requests pipelined, 500 at a time. On a cluster every chunk must name keys of one
     * hash slot (one stream), as agents' pipelines do.
     */
    public void publish(List<Request> requests) {
        for (int from = 0; from < requests.size(); from += 500) {
            List<Request> chunk = requests.subList(from, Math.min(from + 500, requests.size()));
            try {
                redis.batch(chunk).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("XADD failed", e);
            }
        }
    }

    long storedEvents() {
        return count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?");
    }

    long storedTasks() {
        return count("SELECT count(*) FROM training_data.training_tasks WHERE agent_id = ?");
    }

    void awaitEverythingStored(Duration atMost) {
        await("all " + eventsPublished + " events and " + tasksPublished() + " tasks stored")
                .atMost(atMost).pollInterval(Duration.ofMillis(500))
                .until(() -> storedEvents() >= eventsPublished && storedTasks() >= tasksPublished()
                        && tasksMerged() >= tasksPublished());
    }

    /** Asserts exactly once: every published record stored, nothing twice, merged rows right, nothing left. */
    void assertExactlyOnce() {
        assertThat(storedEvents()).as("events stored").isEqualTo(eventsPublished);
        assertThat(count("SELECT count(DISTINCT payload->>'n') FROM training_data.training_events WHERE agent_id = ?"))
                .as("distinct events").isEqualTo(eventsPublished);
        assertThat(storedTasks()).as("tasks stored").isEqualTo(tasksPublished());
        assertThat(tasksMerged()).as("tasks whose merged row is the fold of all their updates")
                .isEqualTo(tasksPublished());
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ? AND event_type <> 'fault_test'"))
                .isZero();
        assertThat(length(stream("dead-letter"))).as("dead letters: %s", command(Request.cmd(Command.XRANGE)
                .arg(stream("dead-letter")).arg("-").arg("+").arg("COUNT").arg("5"))).isZero();
    }

    /** Tasks whose row is what folding all their updates gives: last status, every step, first time. */
    long tasksMerged() {
        return count("SELECT count(*) FROM training_data.training_tasks WHERE agent_id = ?"
                + " AND status = 'completed' AND attributes = '{\"step_0\":\"0\",\"step_1\":\"1\",\"step_2\":\"2\","
                + "\"step_3\":\"3\",\"step_4\":\"4\"}'::jsonb"
                + " AND occurred_at - first_occurred_at = interval '4 seconds'");
    }

    public long pending(String kind) {
        Response summary = command(Request.cmd(Command.XPENDING).arg(stream(kind)).arg(group()));
        return summary == null ? 0 : summary.get(0).toLong();
    }

    public long length(String stream) {
        Response length = command(Request.cmd(Command.XLEN).arg(stream));
        return length == null ? 0 : length.toLong();
    }

    public Response command(Request request) {
        try {
            return redis.send(request).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    long count(String sql) {
        try (Connection connection = DriverManager.getConnection(JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement(sql)) {
            if (sql.contains("?")) {
                statement.setString(1, prefix);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        try {
            // One DEL per key: on a Redis Cluster the streams live on different hash slots.
            for (String kind : List.of("events", "tasks", "tool_executions", "workflows", "messages", "feedback", "dead-letter")) {
                command(Request.cmd(Command.DEL).arg(stream(kind)));
            }
        } catch (RuntimeException ignored) {
            // Redis may be down after a failed test; the keys are unique to this run anyway.
        }
        redis.close();
        vertx.close();
    }
}
