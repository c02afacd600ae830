package ai.trainingstore.retention;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Retention (contract section 8) through the real job, PostgreSQL and the archive files: rows on
 * both sides of the cutoff for every kind, merged kinds by their newest record, a kind without a
 * policy, archives equal to the export's lines, two runs at once.
 *
 * <p>The suite shares one database: the policy (50 years) and the fixed "now" of these runs put
 * the cutoff in 1971, so only rows with occurred_at before then can go. This class's rows carry
 * its own prefix, and every assertion filters on it. Rows of other classes from 1970 (the earliest
 * occurred_at accepted) may be deleted too; no other class reads rows it did not write itself.
 * The schedule is off, so retention runs only when a test calls it.
 */
@QuarkusTest
@TestProfile(RetentionTest.FiftyYears.class)
class RetentionTest extends StoreTestSupport {

    static final Duration POLICY = Duration.ofDays(18_250);
    static final Path ARCHIVE = Path.of(System.getProperty("java.io.tmpdir"), "retention-test-" + ProcessHandle.current().pid()
            + "-" + System.nanoTime());
    /** The runs' "now"; the cutoff is 1971-01-14T00:00:00Z. */
    static final Instant NOW = Instant.parse("2021-01-01T00:00:00Z");
    static final Instant CUTOFF = NOW.minus(POLICY);
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** This class's profile, shared with {@link RetentionBoundsTest}. */
    public static class FiftyYears implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>();
            // Each kind but feedback, in both spellings the contract allows; feedback is kept forever.
            config.put("training-store.retention.events", "18250d");
            config.put("training-store.retention.tasks", "P18250D");
            config.put("training-store.retention.tool-executions", "18250d");
            config.put("training-store.retention.workflows", "P18250D");
            config.put("training-store.retention.messages", "18250d");
            config.put("training-store.retention.scheduled", "false");
            // Small batches, so a run takes several transactions and files.
            config.put("training-store.retention.batch-size", "7");
            config.put("training-store.retention.archive-dir", ARCHIVE.toString());
            // RetentionBoundsTest shares this profile (one boot less): batches bounded by bytes too. Its
            // rows of 100 KB meet the byte bound long before 7 rows; this class's small rows never do.
            config.put("training-store.memory.retention-batch-bytes", Integer.toString(RetentionBoundsTest.BATCH_BYTES));
            return config;
        }
    }

    @Inject
    RetentionJob job;

    @Test
    void rowsOlderThanThePolicyGoAndRowsAtOrAfterTheCutoffStayInEveryKind() {
        String prefix = unique("ret-boundary");
        Map<Kind, List<String>> expired = new HashMap<>();
        Map<Kind, List<String>> kept = new HashMap<>();
        for (Kind kind : Kind.values()) {
            List<String> old = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                old.add(publish(kind, prefix + "-old-" + i, CUTOFF.minusSeconds(3600L * i).minusNanos(1_000)));
            }
            List<String> young = List.of(
                    publish(kind, prefix + "-at-cutoff", CUTOFF),
                    publish(kind, prefix + "-young", CUTOFF.plusNanos(1_000)),
                    publish(kind, prefix + "-recent", NOW.minusSeconds(60)));
            expired.put(kind, old);
            kept.put(kind, young);
        }
        for (Kind kind : Kind.values()) {
            awaitRows(12, "SELECT 1 FROM " + kind.table() + " WHERE " + kind.identity() + " LIKE ?", prefix + "%");
        }

        RetentionReport report = run();

        for (Kind kind : Kind.values()) {
            List<String> stored = identities(kind, prefix);
            if (kind == Kind.FEEDBACK) {
                assertThat(stored).as("feedback has no policy: nothing deleted")
                        .containsExactlyInAnyOrderElementsOf(concat(expired.get(kind), kept.get(kind)));
                assertThat(report.kinds().get("feedback").deleted()).isZero();
                assertThat(report.kinds().get("feedback").policy()).isNull();
                continue;
            }
            assertThat(stored).as("%s rows left", kind.urlName()).containsExactlyInAnyOrderElementsOf(kept.get(kind));
            RetentionReport.Kind figures = report.kinds().get(kind.urlName());
            assertThat(figures.deletedBefore()).isEqualTo("1971-01-14T00:00:00.000000Z").isEqualTo(RowEncoder.instant(CUTOFF));
            assertThat(figures.deleted()).isGreaterThanOrEqualTo(9);
            assertThat(figures.archived()).isEqualTo(figures.deleted());
            // 9 rows in batches of 7: at least two files.
            // Named relative to the archive directory: the answer never shows the server's paths.
            assertThat(figures.files()).hasSizeGreaterThanOrEqualTo(2).allSatisfy(file -> {
                assertThat(Path.of(file).isAbsolute()).isFalse();
                assertThat(Path.of(file).getParent()).isEqualTo(Path.of(kind.urlName()));
                assertThat(ARCHIVE.resolve(file)).exists();
            });
            assertThat(archivedIdentities(kind, prefix)).as("%s archived once each", kind.urlName())
                    .containsExactlyInAnyOrderElementsOf(expired.get(kind));
        }
    }

    @Test
    void mergedKindsExpireByTheirNewestRecord() {
        String prefix = unique("ret-merged");
        for (Kind kind : List.of(Kind.TASK, Kind.TOOL_EXECUTION, Kind.WORKFLOW)) {
            // An old record, then one after the cutoff: the row's occurred_at is the newest, so it stays.
            publish(kind, prefix + "-revived", CUTOFF.minus(Duration.ofDays(300)));
            publish(kind, prefix + "-revived", CUTOFF.plusSeconds(1));
            // Two old records, the newest sent first: the row is old whatever the arrival order.
            publish(kind, prefix + "-old", CUTOFF.minusSeconds(5));
            publish(kind, prefix + "-old", CUTOFF.minus(Duration.ofDays(30)));
            awaitRows(2, "SELECT 1 FROM " + kind.table() + " WHERE " + kind.identity() + " LIKE ?", prefix + "%");
            awaitRows(1, "SELECT 1 FROM " + kind.table() + " WHERE " + kind.identity() + " = ? AND occurred_at = ?",
                    prefix + "-old", java.time.OffsetDateTime.ofInstant(CUTOFF.minusSeconds(5), java.time.ZoneOffset.UTC));
            awaitRows(1, "SELECT 1 FROM " + kind.table() + " WHERE " + kind.identity() + " = ? AND occurred_at > ?",
                    prefix + "-revived", java.time.OffsetDateTime.ofInstant(CUTOFF, java.time.ZoneOffset.UTC));
        }

        Map<Kind, Map<String, Object>> before = new HashMap<>();
        for (Kind kind : List.of(Kind.TASK, Kind.TOOL_EXECUTION, Kind.WORKFLOW)) {
            before.put(kind, storedRow(kind, prefix + "-old").orElseThrow());
        }

        run();

        for (Kind kind : List.of(Kind.TASK, Kind.TOOL_EXECUTION, Kind.WORKFLOW)) {
            assertThat(identities(kind, prefix)).as(kind.urlName()).containsExactly(prefix + "-revived");
            assertThat(archivedIdentities(kind, prefix)).as(kind.urlName()).containsExactly(prefix + "-old");
        }

        // Restored with the one command docs/lifecycle.md gives: the same row, and merges go on from it.
        for (Kind kind : List.of(Kind.TASK, Kind.TOOL_EXECUTION, Kind.WORKFLOW)) {
            restore(kind);
            Map<String, Object> restored = storedRow(kind, prefix + "-old").orElseThrow();
            assertThat(recordColumns(restored)).as(kind.urlName()).isEqualTo(recordColumns(before.get(kind)));
            assertThat(restored.get("version")).isEqualTo(before.get(kind).get("version"));
        }
        xadd(TASKS, "task_id", prefix + "-old", "agent_id", "restored-agent", "status", "reopened",
                "occurred_at", RowEncoder.instant(CUTOFF.minusSeconds(1)));
        awaitRows(1, "SELECT 1 FROM training_data.training_tasks WHERE task_id = ? AND status = 'reopened'"
                + " AND agent_id = 'restored-agent'", prefix + "-old");
    }

    @Test
    void anArchiveGunzipsToExactlyTheExportsLines() throws IOException {
        String agent = unique("ret-lines");
        for (int i = 0; i < 10; i++) {
            xadd(EVENTS, "event_type", "archived", "agent_id", agent, "session_id", "s-" + i,
                    "occurred_at", RowEncoder.instant(CUTOFF.minus(Duration.ofDays(i + 1)).plusNanos(123_000)),
                    "payload", "{\"step\": " + i + ", \"text\": \"caf\u00e9 \\\"quoted\\\"\", \"nested\": {\"a\": [1, 2.5, null]}}",
                    "extra_field", "kept in attributes");
        }
        awaitRows(10, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
        String exported = given().auth().oauth2("test-export-token")
                .queryParam("agent_id", agent)
                .get("/api/v1/export/events").then().statusCode(200).extract().asString();

        run();

        List<String> archived = new ArrayList<>();
        for (Path file : archiveFiles(Kind.EVENT)) {
            for (String line : gunzip(file).split("\n")) {
                if (line.contains("\"agent_id\":\"" + agent + "\"")) {
                    archived.add(line);
                }
            }
        }
        List<String> exportedLines = Arrays.asList(exported.split("\n"));
        assertThat(exportedLines).hasSize(10);
        // Files are written oldest rows first, each in export order: the same lines, byte for byte.
        assertThat(archived).containsExactlyInAnyOrderElementsOf(exportedLines);
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent)).isZero();

        restore(Kind.EVENT);
        String again = given().auth().oauth2("test-export-token")
                .queryParam("agent_id", agent)
                .get("/api/v1/export/events").then().statusCode(200).extract().asString();
        assertThat(again).as("restored from the archive, exported again").isEqualTo(exported);
    }

    @Test
    void twoRunsAtOnceDeleteAndArchiveEachRowOnce() {
        String prefix = unique("ret-twice");
        List<String> old = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            old.add(publish(Kind.EVENT, prefix + "-" + i, CUTOFF.minusSeconds(i + 1)));
        }
        awaitRows(40, "SELECT 1 FROM training_data.training_events WHERE event_id LIKE ?", prefix + "%");

        // Two instances of the job, as two replicas would run it: each batch its own transaction
        // on its own connection, kept apart only by the advisory lock.
        List<RetentionReport> reports = Uni.join().all(job.run(NOW), job.run(NOW)).andFailFast()
                .await().atMost(TIMEOUT);

        assertThat(identities(Kind.EVENT, prefix)).isEmpty();
        assertThat(archivedIdentities(Kind.EVENT, prefix)).as("each row archived exactly once")
                .containsExactlyInAnyOrderElementsOf(old);
        long deleted = reports.stream().mapToLong(report -> report.kinds().get("events").deleted()).sum();
        long archived = reports.stream().mapToLong(report -> report.kinds().get("events").archived()).sum();
        assertThat(deleted).isGreaterThanOrEqualTo(40).isEqualTo(archived);
    }

    @Test
    void aRunRemovesHalfWrittenArchivesACrashLeftButNoneBeingWritten() throws IOException {
        Path directory = Files.createDirectories(ARCHIVE.resolve(Kind.TASK.urlName()));
        Path abandoned = Files.writeString(directory.resolve(".tasks_crashed.jsonl.gz.partial"), "cut");
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path inProgress = Files.writeString(directory.resolve(".tasks_writing.jsonl.gz.partial"), "being written");
        Path finished = Files.writeString(directory.resolve("tasks_kept.jsonl.gz"), "an archive");
        Files.setLastModifiedTime(finished, FileTime.from(Instant.now().minus(Duration.ofDays(2))));

        try {
            run();

            assertThat(abandoned).as("left by a crash over an hour ago").doesNotExist();
            assertThat(inProgress).as("possibly another replica's write in progress").exists();
            assertThat(finished).as("archives are never removed").exists();
        } finally {
            // Not real archives: the other tests read every archive file of the directory.
            Files.deleteIfExists(abandoned);
            Files.deleteIfExists(inProgress);
            Files.deleteIfExists(finished);
        }
    }

    @Test
    void theRunEndpointNeedsTheAdminScopeAndAnswersPerKind() {
        // Contract 5: only admin destroys; agents hold ingest tokens in numbers, readers export ones.
        for (String notAdmin : List.of("test-export-token", "test-ingest-token", "test-all-token")) {
            given().auth().oauth2(notAdmin).post("/api/v1/retention/run").then().statusCode(403)
                    .contentType("application/json");
        }
        given().post("/api/v1/retention/run").then().statusCode(401);
        given().auth().oauth2("test-admin-token").queryParam("kind", "events").post("/api/v1/retention/run")
                .then().statusCode(400).contentType("application/json")
                .body("error", org.hamcrest.Matchers.containsString("Unknown parameter 'kind'"));

        String prefix = unique("ret-http");
        publish(Kind.EVENT, prefix + "-old", CUTOFF.minus(Duration.ofDays(1)));
        publish(Kind.EVENT, prefix + "-new", Instant.now());
        awaitRows(2, "SELECT 1 FROM training_data.training_events WHERE event_id LIKE ?", prefix + "%");

        // Now minus 50 years: the old event goes, the new one stays.
        var body = given().auth().oauth2("test-admin-token").post("/api/v1/retention/run")
                .then().statusCode(200).contentType("application/json").extract().jsonPath();
        assertThat(body.getString("kinds.events.policy")).isEqualTo("P18250D");
        assertThat(body.getLong("kinds.events.deleted")).isGreaterThanOrEqualTo(1);
        assertThat(body.getBoolean("archive")).isTrue();
        assertThat(body.getList("kinds.events.files", String.class)).isNotEmpty()
                .allSatisfy(file -> assertThat(file).startsWith("events/").doesNotContain(ARCHIVE.toString()));
        assertThat(body.prettify()).doesNotContain(ARCHIVE.toString());
        assertThat(body.getString("kinds.feedback.policy")).isNull();
        assertThat(body.getLong("kinds.feedback.deleted")).isZero();
        assertThat(identities(Kind.EVENT, prefix)).containsExactly(prefix + "-new");

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("training_store_retention_rows_deleted_total{kind=\"events\"}")
                .contains("training_store_retention_rows_archived_total{kind=\"feedback\"} 0.0")
                .contains("training_store_retention_last_run_duration_seconds{kind=\"events\"}")
                .containsPattern("training_store_retention_last_run_timestamp_seconds\\{kind=\"events\"} [1-9]");
    }

    @AfterAll
    static void removeTheArchive() throws IOException {
        if (Files.exists(ARCHIVE)) {
            try (Stream<Path> files = Files.walk(ARCHIVE)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    // ---- helpers ----

    /** bin/restore-archive on every archive file of the kind, against the test database. */
    private void restore(Kind kind) {
        RestoreCommand.Result result = RestoreCommand.run(kind.urlName(), archiveFiles(kind));
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("rows restored");
    }

    private RetentionReport run() {
        return job.run(NOW).await().atMost(TIMEOUT);
    }

    /** XADDs the smallest valid record of the kind with that identity and occurred_at. */
    private String publish(Kind kind, String identity, Instant occurredAt) {
        Map<String, String> entry = kind.minimalEntry(identity);
        entry.put("occurred_at", RowEncoder.instant(occurredAt));
        if (kind == Kind.FEEDBACK) {
            entry.put("target_id", identity);
        }
        streams().xadd(kind.stream(), entry);
        return identity;
    }

    private List<String> identities(Kind kind, String prefix) {
        return query("SELECT " + kind.identity() + " AS id FROM " + kind.table() + " WHERE " + kind.identity()
                + " LIKE ?", prefix + "%").stream().map(row -> (String) row.get("id")).toList();
    }

    /** Identities with the prefix in the kind's archive files, one per archived line (duplicates kept). */
    private List<String> archivedIdentities(Kind kind, String prefix) {
        String key = "\"" + kind.identity() + "\":\"";
        List<String> found = new ArrayList<>();
        for (Path file : archiveFiles(kind)) {
            for (String line : gunzip(file).split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                String identity = json(line).get(kind.identity()).asText();
                if (identity.startsWith(prefix)) {
                    found.add(identity);
                }
            }
        }
        return found;
    }

    private static List<Path> archiveFiles(Kind kind) {
        Path directory = ARCHIVE.resolve(kind.urlName());
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> archives = files.filter(file -> file.getFileName().toString().endsWith(".jsonl.gz")).sorted().toList();
            assertThat(archives).allSatisfy(file -> assertThat(file.getFileName().toString())
                    .matches(kind.urlName() + "_\\d{8}T\\d{6}Z_\\d{8}T\\d{6}Z_[0-9a-f]{8}\\.jsonl\\.gz"));
            return archives;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String gunzip(Path file) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }
}
