package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The trajectories dataset at size: thousands of tasks, each with its messages and a tool
 * execution, published with XADD, stream to their end in task order with every line valid (the
 * lookups of each group of tasks keep their order), and a client that stops reading leaves the
 * cursor waiting in PostgreSQL, not the tasks in the heap, until it hangs up.
 */
@QuarkusTest
class TrajectoryStreamingTest extends DatasetTestSupport {

    private static final int TASK_COUNT = Integer.getInteger("dataset.streaming.tasks", 5_000);
    private static final String P = unique("traj-stream") + "-";
    private static final String AGENT = P + "agent";
    private static final String TEXT = "lorem ipsum dolor sit amet ".repeat(10);
    /**
     * The statements of a trajectories answer: the tasks' cursor and the lookups, which run on the
     * cursor's connection in its transaction (one snapshot), so either may be its last query.
     */
    private static final List<String> TRAJECTORY_QUERIES = List.of("SELECT t.task_id", "SELECT m.task_id",
            "SELECT e.execution_id", "SELECT e.task_id");

    private static boolean published;

    private synchronized void large() {
        if (published) {
            return;
        }
        List<Map<String, String>> tasks = new ArrayList<>();
        List<Map<String, String>> messages = new ArrayList<>();
        List<Map<String, String>> executions = new ArrayList<>();
        for (int i = 0; i < TASK_COUNT; i++) {
            String task = P + String.format("%06d", i);
            tasks.add(fields("task_id", task, "agent_id", AGENT, "status", "completed"));
            messages.add(fields("conversation_id", task, "task_id", task, "role", "user", "content", "ask " + i + TEXT,
                    "seq", "1"));
            messages.add(fields("conversation_id", task, "task_id", task, "role", "assistant", "content", "",
                    "seq", "2", "tool_calls", "[{\"id\":\"" + task + "-x\",\"type\":\"function\",\"function\":{\"name\":"
                            + "\"search\",\"arguments\":\"{\\\"q\\\":" + i + "}\"}}]"));
            executions.add(fields("execution_id", task + "-x", "agent_id", AGENT, "tool_name", "search",
                    "task_id", task, "output_result", "\"found " + i + TEXT + "\""));
        }
        List<String> last = new ArrayList<>();
        for (var stream : List.of(Map.entry(TASKS, tasks), Map.entry(MESSAGES, messages),
                Map.entry(TOOL_EXECUTIONS, executions))) {
            List<Map<String, String>> entries = stream.getValue();
            for (int from = 0; from < entries.size(); from += 1000) {
                List<String> ids = xaddTogether(stream.getKey(), entries.subList(from, Math.min(entries.size(), from + 1000)));
                if (from + 1000 >= entries.size()) {
                    last.add(ids.get(ids.size() - 1));
                }
            }
        }
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() ->
                count("SELECT count(*) FROM training_data.training_messages WHERE task_id LIKE ?", P + "%") >= 2L * TASK_COUNT
                        && count("SELECT count(*) FROM training_data.training_tasks WHERE task_id LIKE ?", P + "%") >= TASK_COUNT
                        && count("SELECT count(*) FROM training_data.training_tool_executions WHERE task_id LIKE ?",
                        P + "%") >= TASK_COUNT);
        published = true;
    }

    @AfterAll
    static void deleteLargeDataSet() throws Exception {
        if (!published) {
            return;
        }
        var config = ConfigProvider.getConfig();
        try (var connection = java.sql.DriverManager.getConnection(
                config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""))) {
            for (String table : List.of("training_messages", "training_tasks", "training_tool_executions")) {
                try (var statement = connection.prepareStatement(
                        "DELETE FROM training_data." + table + " WHERE task_id LIKE ?")) {
                    statement.setString(1, P + "%");
                    statement.executeUpdate();
                }
            }
            vacuumMessages(connection);
        }
    }

    private static Params own() {
        return Params.of("agent_id", AGENT, "after", P);
    }

    private static HttpResponse<InputStream> start(Params params) {
        HttpResponse<InputStream> response = send(rawTrajectories(params), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        return response;
    }

    @Test
    void everyTaskStreamsToTheEndInOrderWithItsStepsAndObservations() throws IOException {
        large();
        long lines = 0;
        String previous = "";
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(start(own()).body(), StandardCharsets.UTF_8))) {
            for (String text = reader.readLine(); text != null; text = reader.readLine()) {
                JsonNode line = parse(text);
                TrajectoryDatasetTest.assertAtif(line);
                String task = line.get("session_id").asText();
                assertThat(task).as("task order").isGreaterThan(previous);
                int i = Integer.parseInt(task.substring(P.length()));
                assertThat(line.get("steps")).as("steps of %s", task).hasSize(2);
                assertThat(line.get("steps").get(1).get("observation").get("results").get(0).get("content").asText())
                        .as("the execution's result answers the call of %s", task).startsWith("found " + i + "lorem");
                previous = task;
                lines++;
            }
        }
        assertThat(lines).isEqualTo(TASK_COUNT);
    }

    @Test
    void aClientThatStopsReadingLeavesTheCursorWaitingAndHangingUpEndsIt() throws IOException {
        large();
        await().atMost(Duration.ofSeconds(10)).until(() -> openTrajectoryBackends() == 0);
        HttpResponse<InputStream> response = start(own());
        byte[] first = response.body().readNBytes(64 * 1024);
        assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("{\"schema_version\":\"ATIF-v1.4\"");
        await().atMost(Duration.ofSeconds(10)).alias("the dataset waits for its client with the cursor open")
                .until(() -> openTrajectoryBackends() == 1);
        response.body().close();
        await().atMost(Duration.ofSeconds(10)).alias("the client left: the cursor is closed")
                .until(() -> openTrajectoryBackends() == 0);
        // The slot is back: the whole cap of datasets in a row.
        int max = ConfigProvider.getConfig().getOptionalValue("training-store.export.max-concurrent", Integer.class)
                .orElse(4);
        for (int i = 0; i < max + 1; i++) {
            assertThat(send(rawTrajectories(own().with("limit", "3")), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
        }
    }

    private long openTrajectoryBackends() {
        return TRAJECTORY_QUERIES.stream().mapToLong(this::openBackends).sum();
    }

    private static java.net.http.HttpRequest rawTrajectories(Params params) {
        return java.net.http.HttpRequest.newBuilder(uri("/api/v1/datasets/trajectories", params))
                .header("Authorization", "Bearer " + EXPORT_TOKEN).build();
    }
}
