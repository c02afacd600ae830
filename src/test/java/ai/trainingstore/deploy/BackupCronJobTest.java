package ai.trainingstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the backup CronJob's own script (k8s/base/backup-cronjob.yaml) with the machine's pg_dump
 * against a scratch database that holds the store's schema (the Flyway migrations), then restores
 * the dump with the command docs/deploying.md gives into another scratch database. Both databases
 * are dropped afterwards; the store's own database is never touched. Skipped where PostgreSQL's
 * client tools or a local server are missing.
 */
class BackupCronJobTest {

    /** The restore command of docs/deploying.md ("Backups and restore"), with $url and $file. */
    static final String RESTORE = "pg_restore --dbname=\"$url\" --no-owner --clean --if-exists --single-transaction --exit-on-error \"$file\"";

    private static final Path MIGRATIONS = Path.of("src", "main", "resources", "db", "migration");
    private static final List<String> TABLES = List.of("training_events", "training_tasks", "training_tool_executions",
            "training_workflows", "training_messages");

    @TempDir
    Path backups;

    @Test
    void theCronJobsScriptDumpsTheSchemaAndTheDocumentedRestoreBringsItBack() throws Exception {
        assumeTrue(Stream.of("pg_dump", "pg_restore", "psql").allMatch(BackupCronJobTest::installed),
                "PostgreSQL client tools are not installed");
        assumeTrue(psql("postgres", "SELECT 1").exitCode() == 0, "no PostgreSQL on localhost:5432 for user postgres");

        String run = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String source = "deploy_backup_source_" + run;
        String target = "deploy_backup_target_" + run;
        try {
            createStoreDatabase(source);
            ok(psql("postgres", "CREATE DATABASE " + target));

            Path expired = Files.writeString(backups.resolve("training_data-20000101T000000Z.dump"), "old");
            Files.setLastModifiedTime(expired, FileTime.from(Instant.now().minus(Duration.ofDays(30))));
            Path recent = Files.writeString(backups.resolve("training_data-recent.dump"), "recent");

            Result backup = runBackupScript(source);
            ok(backup);
            List<Path> dumps;
            try (Stream<Path> files = Files.list(backups)) {
                dumps = files.filter(file -> file.getFileName().toString().matches("training_data-\\d{8}T\\d{6}Z\\.dump"))
                        .filter(file -> !file.equals(expired)).toList();
            }
            assertThat(dumps).as("one new dump in BACKUP_DIR; output:\n" + backup.output()).hasSize(1);
            assertThat(expired).as("dumps older than BACKUP_KEEP_DAYS are removed").doesNotExist();
            assertThat(recent).as("newer dumps are kept").exists();
            try (Stream<Path> files = Files.list(backups)) {
                assertThat(files).noneMatch(file -> file.toString().endsWith(".partial"));
            }

            Path dump = dumps.get(0);
            String contents = ok(command(List.of("pg_restore", "--list", dump.toString()), Map.of())).output();
            for (String table : TABLES) {
                assertThat(contents).contains("TABLE training_data " + table);
            }
            assertThat(contents).as("only the schema training_data").doesNotContain("not_backed_up");

            for (int restore = 1; restore <= 2; restore++) {
                Map<String, String> environment = Map.of("url", "postgresql://localhost:5432/" + target,
                        "file", dump.toString(), "PGUSER", "postgres");
                ok(command(List.of("/bin/sh", "-ec", RESTORE), environment));
                assertThat(psql(target, "SELECT count(*) FROM training_data.training_events").output().trim())
                        .as("events after restore " + restore).isEqualTo("3");
                assertThat(psql(target, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'training_data'")
                        .output().trim()).isEqualTo(psql(source,
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'training_data'").output().trim());
            }
            assertThat(Files.readString(Path.of("docs/deploying.md"))).as("docs/deploying.md gives this restore command")
                    .contains(RESTORE);
        } finally {
            psql("postgres", "DROP DATABASE IF EXISTS " + source + " WITH (FORCE)");
            psql("postgres", "DROP DATABASE IF EXISTS " + target + " WITH (FORCE)");
        }
    }

    /** A database with the store's schema (every migration, in order), three events and a table outside it. */
    private static void createStoreDatabase(String name) throws IOException, InterruptedException {
        ok(psql("postgres", "CREATE DATABASE " + name));
        ok(psql(name, "CREATE SCHEMA training_data"));
        List<Path> migrations;
        try (Stream<Path> files = Files.list(MIGRATIONS)) {
            migrations = files.filter(file -> file.getFileName().toString().matches("V\\d+__.*\\.sql"))
                    .sorted(Comparator.comparingInt(file -> Integer.parseInt(file.getFileName().toString().split("__")[0].substring(1))))
                    .toList();
        }
        assertThat(migrations).isNotEmpty();
        for (Path migration : migrations) {
            ok(command(List.of("psql", "-h", "localhost", "-U", "postgres", "-d", name, "-v", "ON_ERROR_STOP=1", "-q",
                    "-f", migration.toString()), Map.of()));
        }
        ok(psql(name, "INSERT INTO training_data.training_events (event_id, event_type, agent_id, occurred_at, stream_entry_id)"
                + " SELECT 'backup-' || n, 'backup_test', 'agent', now(), n || '-0' FROM generate_series(1, 3) AS n"));
        ok(psql(name, "CREATE TABLE public.not_backed_up (id int)"));
    }

    /** The CronJob container's script and variables, pointed at a scratch database and a temporary BACKUP_DIR. */
    private Result runBackupScript(String database) throws IOException, InterruptedException {
        CronJob cronJob = Manifests.one(Manifests.in(Manifests.ROOT.resolve("base")), "CronJob", "training-data-store-backup")
                .as(CronJob.class);
        Container container = cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> environment = new HashMap<>();
        for (EnvVar variable : container.getEnv()) {
            if (variable.getValue() != null) {
                environment.put(variable.getName(), variable.getValue());
            }
        }
        environment.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://localhost:5432/" + database);
        environment.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
        environment.put("PGPASSWORD", "");
        environment.put("BACKUP_DIR", backups.toString());
        List<String> command = new ArrayList<>(container.getCommand());
        command.addAll(container.getArgs());
        return command(command, environment);
    }

    record Result(int exitCode, String output) {
    }

    private static Result ok(Result result) {
        assertThat(result.exitCode()).as("exit code; output:\n" + result.output()).isZero();
        return result;
    }

    private static Result psql(String database, String sql) throws IOException, InterruptedException {
        return command(List.of("psql", "-h", "localhost", "-U", "postgres", "-d", database, "-qtAX",
                "-v", "ON_ERROR_STOP=1", "-c", sql), Map.of());
    }

    private static Result command(List<String> command, Map<String, String> environment)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return new Result(process.exitValue(), output);
    }

    private static boolean installed(String tool) {
        try {
            Process process = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
