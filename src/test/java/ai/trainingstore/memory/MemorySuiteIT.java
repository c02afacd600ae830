package ai.trainingstore.memory;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.faults.FaultScenario;
import ai.trainingstore.faults.ServiceProcess;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, "tests that hold the line": the packaged service with the image's heap flags
 * ({@code -Xmx384m -XX:+ExitOnOutOfMemoryError}) against rows, stream entries and dead letters near
 * the size limits, in volumes several times the heap, read through every reading path, several
 * requests at once. Every answer must be a 2xx read to its end, a 4xx, or a stream cut without its
 * final chunk (which a client sees as an error); never a 5xx, never a hang. Afterwards the JVM is
 * alive, a normal request is answered within seconds, and no query of the service is still running
 * in PostgreSQL. Every failure is collected first, so one run reports every path that fails.
 *
 * <p>The rows are this run's own (ids and agent_id from the scenario's prefix) and are deleted at
 * the end, the streams too. Retention is set to 50 years and the rows are from 1975, so the run
 * deletes only what it made, never another test's rows in the shared database.
 */
class MemorySuiteIT {

    private static final String HEAP = "-Xmx384m";
    private static final int MB = 1_000_000;
    private static final int MESSAGES = 600;
    private static final int TOOL_EXECUTIONS = 300;
    private static final int DEAD_LETTERS = 16;
    private static final int DEAD_LETTER_BYTES = 16 * 1024 * 1024;
    private static final int STREAM_ENTRIES = 260;
    private static final int STREAM_ENTRY_BYTES = 1_200_000;
    private static final String OLD = "1975-03-01T00:00:00Z";
    private static final String TOKEN = "memory-suite-token";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> failures = new ArrayList<>();
    private final List<String> outcomes = new ArrayList<>();

    @Test
    void everyReadingPathStaysWithinTheHeapAndTheServiceStaysWhole() throws Exception {
        Path archive = Files.createTempDirectory("memory-suite-archive");
        try (FaultScenario scenario = new FaultScenario()) {
            String prefix = scenario.prefix();
            try {
                seedRows(prefix);
                seedStreams(scenario);
                Path gcLog = Path.of("target", "fault-logs", prefix + "-gc.log");
                Files.createDirectories(gcLog.getParent());
                try (ServiceProcess service = new ServiceProcess(scenario, "memory")
                        .jvmOptions(HEAP, "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog)
                        .with("TRAINING_STORE_TOKENS", TOKEN + ":export+ingest+admin")
                        // Finding 4: entries of 1.2 MB just under the limit, in bulk, are stored.
                        .with("TRAINING_STORE_DELIVERY_MAX_ENTRY_BYTES", Integer.toString(2 * MB))
                        .with("TRAINING_STORE_RETENTION_MESSAGES", "18250d")
                        .with("TRAINING_STORE_RETENTION_SCHEDULED", "false")
                        .with("TRAINING_STORE_RETENTION_ARCHIVE_DIR", archive.toString())
                        .with("QUARKUS_DATASOURCE_REACTIVE_URL", reactiveUrl(prefix))
                        .with("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl(prefix))) {
                    service.start();
                    driveEveryReadingPath(service, prefix);
                    if (service.isAlive()) {
                        checkTheConsumer(scenario);
                    }
                    checkTheServiceIsWhole(service, prefix);
                    String heap = peakHeap(gcLog);
                    System.out.printf("memory suite: peak heap %s (of %s); outcomes:%n  %s%n", heap, HEAP,
                            String.join("\n  ", outcomes));
                    assertThat(failures).as("paths that failed (%s; peak heap %s); service log %s:%n%s",
                            "every answer a 2xx read whole, a 4xx or a cut stream", heap, service.log(),
                            String.join("\n", failures)).isEmpty();
                }
            } finally {
                deleteRows(prefix);
                deleteTree(archive);
            }
        }
    }

    // ---- the data: near the size limits, several times the heap ----

    private static void seedRows(String prefix) throws SQLException {
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "")) {
            // Generated by PostgreSQL itself: no 1 GB crosses the test's socket. Two conversations, one
            // task each; text that compresses poorly enough to be stored near its size.
            execute(connection, "INSERT INTO training_data.training_tasks (task_id, agent_id, status, task_type, input,"
                    + " occurred_at, first_occurred_at, stream_entry_id, version, field_versions)"
                    + " SELECT ? || '-t-' || g, ?, 'completed', 'memory', jsonb_build_object('goal', 'hold the line'),"
                    + " ?::timestamptz, ?::timestamptz, '0-' || g, '0', '{}' FROM generate_series(0, 1) g",
                    prefix, prefix, OLD, OLD);
            for (int from = 0; from < MESSAGES; from += 50) {
                execute(connection, "INSERT INTO training_data.training_messages (message_id, conversation_id, role, content,"
                        + " agent_id, task_id, seq, occurred_at, stream_entry_id)"
                        + " SELECT ? || '-m-' || g, ? || '-c-' || (g % 2),"
                        + " CASE WHEN (g / 2) % 2 = 0 THEN 'user' ELSE 'assistant' END,"
                        + " repeat(md5(? || g), " + (MB / 32) + "), ?, ? || '-t-' || (g % 2), g,"
                        + " ?::timestamptz + g * interval '1 second', '0-' || g"
                        + " FROM generate_series(" + from + ", " + (from + 49) + ") g",
                        prefix, prefix, prefix, prefix, prefix, OLD);
            }
            for (int from = 0; from < TOOL_EXECUTIONS; from += 50) {
                execute(connection, "INSERT INTO training_data.training_tool_executions (execution_id, agent_id, tool_name,"
                        + " task_id, status, input_params, output_result, duration_ms, occurred_at, first_occurred_at,"
                        + " stream_entry_id, version, field_versions)"
                        + " SELECT ? || '-x-' || g, ?, 'memory_tool', ? || '-t-' || (g % 2), 'success',"
                        + " jsonb_build_object('n', g), jsonb_build_object('text', repeat(md5(? || g), " + (MB / 32) + ")),"
                        + " 5, ?::timestamptz + g * interval '1 second', ?::timestamptz, '0-' || g, '0', '{}'"
                        + " FROM generate_series(" + from + ", " + (from + 49) + ") g",
                        prefix, prefix, prefix, prefix, OLD, OLD);
            }
        }
    }

    private static void seedStreams(FaultScenario scenario) {
        String huge = "d".repeat(DEAD_LETTER_BYTES);
        for (int i = 0; i < DEAD_LETTERS; i++) {
            // As the consumer dead-letters an entry over the size limit, its fields kept.
            scenario.publish(List.of(Request.cmd(Command.XADD).arg(scenario.stream("dead-letter")).arg("*")
                    .arg("source_stream").arg(scenario.stream("messages")).arg("source_id").arg(i + "-0")
                    .arg("error").arg("entry too large").arg("error_code").arg("too_large")
                    .arg("message_id").arg(scenario.prefix() + "-dl-" + i).arg("content").arg(huge)));
        }
        String output = "{\"text\":\"" + "o".repeat(STREAM_ENTRY_BYTES) + "\"}";
        for (int from = 0; from < STREAM_ENTRIES; from += 20) {
            List<Request> chunk = new ArrayList<>();
            for (int i = from; i < Math.min(from + 20, STREAM_ENTRIES); i++) {
                chunk.add(Request.cmd(Command.XADD).arg(scenario.stream("tool_executions")).arg("*")
                        .arg("execution_id").arg(scenario.prefix() + "-s-" + i).arg("agent_id").arg(scenario.prefix())
                        .arg("tool_name").arg("memory_stream_tool").arg("status").arg("success")
                        .arg("occurred_at").arg(OLD).arg("output_result").arg(output));
            }
            scenario.publish(chunk);
        }
    }

    // ---- the reading paths ----

    private void driveEveryReadingPath(ServiceProcess service, String prefix) throws InterruptedException {
        String mine = "agent_id=" + prefix;
        String conversation = "conversation_id=" + prefix + "-c-0";
        List<Group> groups = List.of(
                new Group("stats and dead letters (the console polls both)", 3,
                        "/api/v1/stats", "/api/v1/dead-letters", "/api/v1/dead-letters?limit=100"),
                new Group("messages, row exports", 2, "/api/v1/export/messages?format=jsonl&" + mine,
                        "/api/v1/export/messages?format=csv&" + mine, "/api/v1/export/messages?format=parquet&" + mine,
                        "gzip:/api/v1/export/messages?format=jsonl&" + mine),
                new Group("tool executions, row exports", 2, "/api/v1/export/tool_executions?format=jsonl&" + mine,
                        "/api/v1/export/tool_executions?format=csv&" + mine,
                        "/api/v1/export/tool_executions?format=parquet&" + mine,
                        "gzip:/api/v1/export/tool_executions?format=csv&" + mine),
                new Group("conversations dataset", 2, "/api/v1/datasets/conversations?" + mine,
                        "/api/v1/datasets/conversations?format=messages&metadata=true&" + mine,
                        "/api/v1/datasets/conversations/summary?" + mine),
                new Group("trajectories dataset", 2, "/api/v1/datasets/trajectories?" + mine,
                        "/api/v1/datasets/trajectories/summary?" + mine),
                new Group("the console's conversation viewer and export preview", 3,
                        "/api/v1/export/messages?" + conversation,
                        "/api/v1/export/tool_executions?limit=50&" + mine,
                        "/api/v1/export/messages?limit=20&" + mine),
                new Group("analytics views", 3, "/api/v1/analytics/agent_daily",
                        "/api/v1/analytics/tool_daily?format=csv", "/api/v1/analytics/task_outcomes_daily",
                        "/api/v1/analytics/agent_daily?from=1975-01-01&to=1975-12-31&" + mine),
                new Group("stats and dead letters again, with the consumer's dead letters", 3,
                        "/api/v1/stats", "/api/v1/dead-letters?limit=500"),
                new Group("retention of the old messages, two runs at once", 2, "POST:/api/v1/retention/run"));
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            for (Group group : groups) {
                List<Future<String>> answers = new ArrayList<>();
                for (String target : group.targets()) {
                    for (int copy = 0; copy < group.atOnce(); copy++) {
                        answers.add(pool.submit(() -> request(service, target)));
                    }
                }
                for (Future<String> answer : answers) {
                    try {
                        answer.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        failures.add(group.name() + ": " + e.getCause());
                    }
                }
                if (!service.isAlive()) {
                    failures.add("the service exited (code " + service.exitValue() + ") during: " + group.name()
                            + (service.logText().contains("OutOfMemoryError") ? "; OutOfMemoryError in its log" : ""));
                    return;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private record Group(String name, int atOnce, String... targets) {
    }

    /** One request, its body read to its end; records what came back, and a failure when it is one. */
    private String request(ServiceProcess service, String target) {
        boolean gzip = target.startsWith("gzip:");
        boolean post = target.startsWith("POST:");
        String path = target.replaceFirst("^(gzip|POST):", "");
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + path))
                .timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + TOKEN);
        if (gzip) {
            builder.header("Accept-Encoding", "gzip");
        }
        builder = post ? builder.POST(HttpRequest.BodyPublishers.noBody()) : builder.GET();
        long started = System.nanoTime();
        String outcome;
        try {
            HttpResponse<InputStream> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
            long bytes;
            String end;
            try (InputStream body = response.body()) {
                bytes = body.transferTo(java.io.OutputStream.nullOutputStream());
                end = "read whole";
            } catch (IOException e) {
                bytes = -1;
                end = "cut (" + e.getClass().getSimpleName() + ")";
            }
            int status = response.statusCode();
            outcome = target + " -> " + status + ", " + end + (bytes >= 0 ? ", " + bytes + " bytes" : "");
            if (status >= 500) {
                failures(outcome);
            }
        } catch (java.net.http.HttpTimeoutException e) {
            outcome = target + " -> no answer within " + REQUEST_TIMEOUT.toSeconds() + " s";
            failures(outcome);
        } catch (IOException e) {
            outcome = target + " -> no answer (" + e + ")";
            failures(outcome);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = target + " -> interrupted";
        }
        outcome += " in " + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms";
        synchronized (outcomes) {
            outcomes.add(outcome);
        }
        return outcome;
    }

    private void failures(String failure) {
        synchronized (failures) {
            failures.add(failure);
        }
    }

    // ---- afterwards ----

    /** The consumer stored every entry just under the (2 MB) limit without dying, and acknowledged them. */
    private void checkTheConsumer(FaultScenario scenario) throws InterruptedException, SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        long pending;
        long stored;
        do {
            pending = scenario.pending("tool_executions");
            stored = storedStreamExecutions(scenario.prefix());
            if (pending == 0 && stored == STREAM_ENTRIES) {
                return;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        failures("consumer: after 90 s, " + pending + " tool_executions entries pending and " + stored
                + " of them stored (expected 0 pending and " + STREAM_ENTRIES + " stored)");
    }

    private static long storedStreamExecutions(String prefix) throws SQLException {
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM"
                     + " training_data.training_tool_executions WHERE execution_id LIKE ?")) {
            statement.setString(1, prefix + "-s-%");
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private void checkTheServiceIsWhole(ServiceProcess service, String prefix) throws Exception {
        if (!service.isAlive()) {
            failures("the service is not alive (exit code " + service.exitValue() + ")"
                    + (service.logText().contains("OutOfMemoryError") ? "; OutOfMemoryError in its log" : ""));
            return;
        }
        for (String path : List.of("/q/health/ready", "/api/v1/export/events?limit=1&agent_id=" + prefix)) {
            long started = System.nanoTime();
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                            + service.port() + path)).timeout(Duration.ofSeconds(5))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
            outcomes.add("afterwards " + path + " -> " + answer.statusCode() + " in " + millis + " ms");
            if (answer.statusCode() != 200) {
                failures("afterwards " + path + " -> " + answer.statusCode() + ": " + answer.body());
            }
        }
        // A query cut by a client may take a moment to be cancelled; one still running after 10 s is left.
        List<String> running = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            running = runningQueries(prefix);
            if (running.isEmpty()) {
                return;
            }
            Thread.sleep(500);
        }
        failures("queries of the service still running in PostgreSQL: " + running);
    }

    private static List<String> runningQueries(String prefix) throws SQLException {
        List<String> running = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement("SELECT now() - query_start, left(query, 120)"
                     + " FROM pg_stat_activity WHERE application_name = ? AND state <> 'idle'"
                     + " AND pid <> pg_backend_pid()")) {
            statement.setString(1, prefix);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    running.add(rows.getString(1) + ": " + rows.getString(2));
                }
            }
        }
        return running;
    }

    /** The largest heap in use before a collection, from -Xlog:gc ("...: 250M->120M(384M) ..."). */
    private static String peakHeap(Path gcLog) throws IOException {
        if (!Files.exists(gcLog)) {
            return "unknown (no GC log)";
        }
        Matcher sizes = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)").matcher(Files.readString(gcLog));
        int peak = -1;
        int collections = 0;
        while (sizes.find()) {
            peak = Math.max(peak, Integer.parseInt(sizes.group(1)));
            collections++;
        }
        return peak < 0 ? "unknown (no collection logged)" : peak + "M in use before a collection, " + collections
                + " collections";
    }

    // ---- the run's own connection settings and clean-up ----

    /** application_name = the run's prefix, so pg_stat_activity tells this service's queries from others'. */
    private static String jdbcUrl(String prefix) {
        return FaultScenario.JDBC_URL + (FaultScenario.JDBC_URL.contains("?") ? "&" : "?") + "ApplicationName=" + prefix;
    }

    private static String reactiveUrl(String prefix) {
        String base = FaultScenario.JDBC_URL.replaceFirst("^jdbc:", "").replaceFirst("\\?.*$", "");
        return base + "?application_name=" + prefix;
    }

    private static void deleteRows(String prefix) throws SQLException {
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "")) {
            for (String table : List.of("training_messages", "training_tool_executions", "training_tasks")) {
                execute(connection, "DELETE FROM training_data." + table + " WHERE agent_id = ?", prefix);
            }
        }
    }

    private static void execute(Connection connection, String sql, String... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            statement.executeUpdate();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
