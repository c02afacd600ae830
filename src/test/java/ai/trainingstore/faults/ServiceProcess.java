package ai.trainingstore.faults;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) run as a separate process, so a
 * test can kill it with SIGKILL, stop it with SIGTERM, or run two of them in one group. Each test
 * gives it its own stream keys and group, so runs never share state. Public for the other suites
 * that run the packaged service (memory/), which set their own JVM options.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");

    private final String consumerName;
    private final int port;
    private final Map<String, String> environment = new HashMap<>();
    private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx256m"));
    private final Path log;
    private Process process;

    public ServiceProcess(FaultScenario scenario, String consumerName) {
        this.consumerName = consumerName;
        this.port = freePort();
        this.log = Path.of("target", "fault-logs", scenario.prefix().replace(':', '_') + "-" + consumerName + ".log");
        environment.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        environment.put("TRAINING_STORE_CONSUMER_NAME", consumerName);
        environment.putAll(scenario.serviceEnvironment());
    }

    public ServiceProcess with(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Replaces the JVM options (by default {@code -Xmx256m}), e.g. a heap limit and the image's exit flag. */
    public ServiceProcess jvmOptions(String... options) {
        jvmOptions.clear();
        jvmOptions.addAll(List.of(options));
        return this;
    }

    /** Starts the service and waits until it is live. */
    public ServiceProcess start() {
        launch();
        await("service " + consumerName + " started").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> httpStatus("/q/health/live") == 200);
        return this;
    }

    /** Starts the process without waiting for it (for a start-up that must fail). */
    public ServiceProcess launch() {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: fault tests run after packaging (./mvnw verify)");
        }
        try {
            Files.createDirectories(log.getParent());
            List<String> command = new ArrayList<>();
            command.add(javaBinary());
            command.addAll(jvmOptions);
            command.addAll(List.of("-jar", JAR.toString()));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the service", e);
        }
        return this;
    }

    /** Waits for the process to exit by itself; its exit code, or empty when it still runs. */
    public OptionalInt awaitExit(Duration atMost) throws InterruptedException {
        return process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)
                ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
    }

    /** The process id, for jcmd and the like. */
    public long pid() {
        return process.pid();
    }

    /** Where the process' output goes. */
    public Path log() {
        return log;
    }

    /** Everything the process printed so far. */
    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SIGKILL: no shutdown hook runs, batches in flight stay pending. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM; returns how long the process took to exit. */
    public Duration terminate(Duration atMost) throws InterruptedException {
        long start = System.nanoTime();
        process.destroy();
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("service " + consumerName + " did not exit within " + atMost + " of SIGTERM");
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public int exitValue() {
        return process.exitValue();
    }

    public String consumerName() {
        return consumerName;
    }

    /** The HTTP port this instance listens on. */
    public int port() {
        return port;
    }

    /** HTTP status of a GET on this instance, or -1 when it does not answer. */
    public int httpStatus(String path) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://localhost:" + port + path)
                    .toURL().openConnection();
            connection.setConnectTimeout(1000);
            connection.setReadTimeout(5000);
            int status = connection.getResponseCode();
            connection.disconnect();
            return status;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The value of one Prometheus sample line starting with {@code prefix}, or 0 when absent. */
    public double metric(String prefix) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://localhost:" + port + "/q/metrics")
                    .toURL().openConnection();
            try (var body = connection.getInputStream()) {
                return new String(body.readAllBytes()).lines()
                        .filter(line -> line.startsWith(prefix))
                        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                        .sum();
            }
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (isAlive()) {
            kill();
        }
    }

    private static String javaBinary() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
