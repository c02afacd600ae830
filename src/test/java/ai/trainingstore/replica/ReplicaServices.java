package ai.trainingstore.replica;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The streaming replica on localhost:5433 ({@code bin/local-replica up}: made on a first run, found
 * ready on the next) and the tests' database on the primary, which the replica follows. Also the
 * replica's controls for the tests: stop and start the cluster, pause and resume replay.
 */
public class ReplicaServices implements QuarkusTestResourceLifecycleManager {

    static final String DATABASE = "training_replica_test";
    static final int PORT = 5433;
    private static final String PRIMARY = "jdbc:postgresql://localhost:5432/";
    private static final String REPLICA = "jdbc:postgresql://localhost:" + PORT + "/";

    @Override
    public Map<String, String> start() {
        run(Path.of("bin", "local-replica").toAbsolutePath().toString(), "up");
        try (Connection connection = DriverManager.getConnection(PRIMARY + "postgres", "postgres", "");
             Statement statement = connection.createStatement()) {
            // Made afresh each run: its Flyway history is this checkout's, whatever an earlier branch applied.
            statement.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
            statement.execute("CREATE DATABASE " + DATABASE);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the replica tests' database", e);
        }
        return Map.of();
    }

    @Override
    public void stop() {
        // The replica stays for the next run (bin/local-replica down removes it).
    }

    /** A connection to the tests' database on the replica. */
    static Connection replica() throws SQLException {
        return DriverManager.getConnection(REPLICA + DATABASE, "postgres", "");
    }

    static void stopReplica() {
        run("pg_ctlcluster", "--skip-systemctl-redirect", "15", "replica", "stop", "-m", "fast");
    }

    static void startReplica() {
        // Exit status 2: it was running already (a stop that failed), which is as good.
        run(new int[] {0, 2}, "pg_ctlcluster", "--skip-systemctl-redirect", "15", "replica", "start");
    }

    static void pauseReplay() throws SQLException {
        onReplica("SELECT pg_wal_replay_pause()");
    }

    static void resumeReplay() throws SQLException {
        onReplica("SELECT pg_wal_replay_resume()");
    }

    private static void onReplica(String sql) throws SQLException {
        try (Connection connection = replica(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void run(String... command) {
        run(new int[] {0}, command);
    }

    private static void run(int[] accepted, String... command) {
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            if (!process.waitFor(5, TimeUnit.MINUTES)
                    || java.util.Arrays.stream(accepted).noneMatch(status -> status == process.exitValue())) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
