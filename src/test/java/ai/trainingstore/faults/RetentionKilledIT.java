package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Archive before delete survives SIGKILL: the service is killed in the middle of a retention run
 * (some batches committed, the rest not), restarted, and run again. Every row older than the
 * policy ends up deleted and in an archive file (some possibly twice, none missing); every younger
 * row stays. Run it alone, against a database of its own: retention deletes old rows of the whole
 * table ({@code -Dfault.jdbc.url=...} and QUARKUS_DATASOURCE_... for the service).
 */
class RetentionKilledIT {

    private static final String TOKEN = "retention-it-token";
    private static final int OLD = 30_000;
    private static final int YOUNG = 200;

    @Test
    void aRunKilledMidwayLosesNothingAndTheNextRunFinishesIt() throws Exception {
        Path archive = Files.createTempDirectory("retention-killed-it");
        try (FaultScenario scenario = new FaultScenario()) {
            String prefix = scenario.prefix();
            publish(scenario, prefix + "-old-", OLD, Instant.parse("1975-03-01T00:00:00Z"));
            publish(scenario, prefix + "-young-", YOUNG, Instant.now());
            Map<String, String> retention = Map.of(
                    "TRAINING_STORE_TOKENS", TOKEN + ":admin",
                    "TRAINING_STORE_RETENTION_EVENTS", "18250d",
                    "TRAINING_STORE_RETENTION_SCHEDULED", "false",
                    "TRAINING_STORE_RETENTION_BATCH_SIZE", "100",
                    "TRAINING_STORE_RETENTION_ARCHIVE_DIR", archive.toString());

            try (ServiceProcess first = start(scenario, "retention-1", retention)) {
                await("events stored").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .until(() -> scenario.storedEvents() >= OLD + YOUNG);
                CompletableFuture<HttpResponse<String>> run = runRetention(first);
                await("some batches committed").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                        .until(() -> count(scenario, "SELECT count(*) FROM training_data.training_events WHERE event_id LIKE ?",
                                prefix + "-old-%") < OLD || run.isDone());
                first.kill();
                assertThat(run).as("the run was still going when the service was killed").isNotCompleted();
            }
            long left = count(scenario, "SELECT count(*) FROM training_data.training_events WHERE event_id LIKE ?",
                    prefix + "-old-%");
            assertThat(left).as("old rows left after the kill: the run was cut midway").isBetween(1L, (long) OLD - 1);
            assertThat(archivedIds(archive, prefix + "-old-")).as("every deleted row is archived already")
                    .hasSizeGreaterThanOrEqualTo(OLD - (int) left);

            try (ServiceProcess second = start(scenario, "retention-2", retention)) {
                HttpResponse<String> answer = runRetention(second).get();
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            }
            assertThat(count(scenario, "SELECT count(*) FROM training_data.training_events WHERE event_id LIKE ?",
                    prefix + "-old-%")).as("old rows left").isZero();
            assertThat(count(scenario, "SELECT count(*) FROM training_data.training_events WHERE event_id LIKE ?",
                    prefix + "-young-%")).as("young rows kept").isEqualTo(YOUNG);
            List<String> archived = archivedLines(archive, prefix + "-old-");
            Set<String> distinct = new TreeSet<>(archived);
            assertThat(distinct).as("every old row archived").hasSize(OLD);
            assertThat(archived.size() - distinct.size()).as("archived twice (at most the batch in flight)")
                    .isLessThanOrEqualTo(100);
        } finally {
            try (Stream<Path> files = Files.walk(archive)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private static ServiceProcess start(FaultScenario scenario, String name, Map<String, String> environment) {
        ServiceProcess service = new ServiceProcess(scenario, name);
        environment.forEach(service::with);
        return service.start();
    }

    private static CompletableFuture<HttpResponse<String>> runRetention(ServiceProcess service) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + service.port()
                        + "/api/v1/retention/run"))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void publish(FaultScenario scenario, String idPrefix, int count, Instant first) {
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(Request.cmd(Command.XADD).arg(scenario.stream("events")).arg("*")
                    .arg("event_id").arg(idPrefix + i).arg("event_type").arg("retention_it")
                    .arg("agent_id").arg(scenario.prefix())
                    .arg("occurred_at").arg(first.plusSeconds(i).toString())
                    .arg("payload").arg("{\"n\":" + i + "}"));
        }
        scenario.publish(requests);
    }

    /** The event ids with the prefix in every archive file, one per line (duplicates kept). */
    private static List<String> archivedLines(Path archive, String idPrefix) throws IOException {
        List<String> ids = new ArrayList<>();
        Path events = archive.resolve("events");
        if (!Files.isDirectory(events)) {
            return ids;
        }
        try (Stream<Path> files = Files.list(events)) {
            for (Path file : files.filter(path -> path.getFileName().toString().endsWith(".jsonl.gz")).toList()) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                    for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        int at = line.indexOf("\"event_id\":\"" + idPrefix);
                        if (at >= 0) {
                            int start = at + "\"event_id\":\"".length();
                            ids.add(line.substring(start, line.indexOf('"', start)));
                        }
                    }
                }
            }
        }
        return ids;
    }

    private static Set<String> archivedIds(Path archive, String idPrefix) throws IOException {
        return new TreeSet<>(archivedLines(archive, idPrefix));
    }

    private static long count(FaultScenario scenario, String sql, String parameter) {
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
