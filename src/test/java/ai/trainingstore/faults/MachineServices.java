package ai.trainingstore.faults;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Stops and starts the machine's own PostgreSQL and Redis. Every stop is paired with a start in a
 * finally block by the caller: the next CI step runs on the same services.
 */
final class MachineServices {

    private MachineServices() {
    }

    static void stopPostgres() {
        run("pg_ctlcluster", "--skip-systemctl-redirect", postgresVersion(), "main", "stop", "-m", "fast");
    }

    static void startPostgres() {
        if (!postgresAnswers()) {
            run("pg_ctlcluster", "--skip-systemctl-redirect", postgresVersion(), "main", "start");
        }
        await("PostgreSQL back").atMost(Duration.ofSeconds(60)).until(MachineServices::postgresAnswers);
    }

    static boolean postgresAnswers() {
        return exitCode("pg_isready", "-h", "localhost", "-p", "5432", "-q") == 0;
    }

    /** Restarts Redis without persistence, as it runs on these machines: its data is gone after. */
    static void restartRedis() {
        List<String> start = new ArrayList<>(List.of("redis-server", "--daemonize", "yes", "--port", "6379",
                "--save", "", "--appendonly", "no"));
        start.addAll(List.of("--bind", configValue("bind", "127.0.0.1")));
        String dir = configValue("dir", "");
        if (!dir.isEmpty()) {
            start.addAll(List.of("--dir", dir));
        }
        String logfile = configValue("logfile", "");
        if (!logfile.isEmpty()) {
            start.addAll(List.of("--logfile", logfile));
        }
        exitCode("redis-cli", "shutdown", "nosave");
        await("Redis stopped").atMost(Duration.ofSeconds(20)).until(() -> !redisAnswers());
        ensureRedis(start);
    }

    static void ensureRedis(List<String> startCommand) {
        if (!redisAnswers()) {
            run(startCommand.toArray(String[]::new));
        }
        await("Redis back").atMost(Duration.ofSeconds(30)).until(MachineServices::redisAnswers);
    }

    static boolean redisAnswers() {
        return exitCode("redis-cli", "ping") == 0;
    }

    private static String configValue(String name, String fallback) {
        List<String> lines = output("redis-cli", "config", "get", name);
        return lines.size() >= 2 ? lines.get(1) : fallback;
    }

    private static String postgresVersion() {
        try (Stream<Path> versions = Files.list(Path.of("/etc/postgresql"))) {
            return versions.map(path -> path.getFileName().toString()).sorted().reduce((a, b) -> b)
                    .orElseThrow(() -> new IllegalStateException("no cluster under /etc/postgresql"));
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL is not installed as a Debian cluster here", e);
        }
    }

    private static void run(String... command) {
        int exit = exitCode(command);
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + exit);
        }
    }

    private static int exitCode(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            return process.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static List<String> output(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            List<String> lines = new String(process.getInputStream().readAllBytes()).lines().toList();
            process.waitFor(30, TimeUnit.SECONDS);
            return lines;
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
