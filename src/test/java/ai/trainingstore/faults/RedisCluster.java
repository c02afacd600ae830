package ai.trainingstore.faults;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Redis Cluster of {@code masters} masters and no replicas on loopback ports, started with the
 * machine's {@code redis-server} as child processes, each in its own temporary directory. It never
 * touches the machine's own Redis (6379). {@link #close()} stops every node and removes the
 * directories; a shutdown hook does the same if the JVM exits first.
 */
final class RedisCluster implements AutoCloseable {

    private static final int FIRST_PORT = 7101;
    private static final int CLUSTER_BUS_OFFSET = 10_000;

    private final List<Integer> ports;
    private final List<Process> nodes = new ArrayList<>();
    private final Path directory;
    private final Thread shutdownHook = new Thread(this::stopNodes, "redis-cluster-teardown");
    private int[] masterOfSlot;

    private RedisCluster(List<Integer> ports) throws IOException {
        this.ports = ports;
        this.directory = Files.createTempDirectory("redis-cluster-");
    }

    /** Starts the nodes and joins them into one cluster covering all 16,384 slots. */
    static RedisCluster start(int masters) throws IOException {
        RedisCluster cluster = new RedisCluster(freePorts(masters));
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.startNodes();
            cluster.create();
            return cluster;
        } catch (RuntimeException | IOException e) {
            cluster.close();
            throw e;
        }
    }

    List<Integer> ports() {
        return ports;
    }

    /** {@code redis://127.0.0.1:p1,redis://127.0.0.1:p2,...}: QUARKUS_REDIS_HOSTS for the service. */
    String hosts() {
        return ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(","));
    }

    /** The hash slot of a key, as the cluster computes it (CLUSTER KEYSLOT). */
    int keySlot(String key) {
        return Integer.parseInt(redisCli(ports.get(0), "CLUSTER", "KEYSLOT", key).trim());
    }

    /** The port of the master that serves a slot, from CLUSTER NODES. */
    int masterOf(int slot) {
        if (masterOfSlot == null) {
            masterOfSlot = slotTable();
        }
        if (masterOfSlot[slot] == 0) {
            throw new IllegalStateException("no master serves slot " + slot);
        }
        return masterOfSlot[slot];
    }

    private int[] slotTable() {
        int[] table = new int[16384];
        for (String line : redisCli(ports.get(0), "CLUSTER", "NODES").lines().toList()) {
            // <id> <ip:port@bus-port> <flags> <master> <ping> <pong> <epoch> <link> <slot|from-to> ...
            String[] fields = line.trim().split(" ");
            if (fields.length < 9 || !fields[2].contains("master")) {
                continue;
            }
            String address = fields[1].substring(0, fields[1].indexOf('@'));
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            for (int i = 8; i < fields.length; i++) {
                String[] range = fields[i].split("-");
                int from = Integer.parseInt(range[0]);
                int to = range.length == 2 ? Integer.parseInt(range[1]) : from;
                for (int slot = from; slot <= to; slot++) {
                    table[slot] = port;
                }
            }
        }
        return table;
    }

    /** One command on one node, without following redirections (as {@code redis-cli -p port ...}). */
    String redisCli(int port, String... command) {
        List<String> line = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        line.addAll(List.of(command));
        return run(line, Duration.ofSeconds(30));
    }

    /**
     * The hash slot Redis Cluster gives a key: CRC16 (XMODEM) of the key, or of its hash tag, modulo
     * 16384. Lets a test choose keys on different masters without asking the cluster for each one.
     */
    static int slotOf(String key) {
        int open = key.indexOf('{');
        if (open >= 0) {
            int close = key.indexOf('}', open + 1);
            if (close > open + 1) {
                key = key.substring(open + 1, close);
            }
        }
        int crc = 0;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            crc ^= (b & 0xff) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return (crc & 0xffff) % 16384;
    }

    private void startNodes() throws IOException {
        for (int port : ports) {
            Path dir = Files.createDirectories(directory.resolve(Integer.toString(port)));
            Process node = new ProcessBuilder("redis-server",
                    "--port", Integer.toString(port),
                    "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000",
                    "--dir", dir.toString(),
                    "--save", "",
                    "--appendonly", "no",
                    "--logfile", dir.resolve("redis.log").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            nodes.add(node);
        }
        for (int port : ports) {
            await("Redis node " + port + " answers").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> redisCli(port, "PING").trim().equals("PONG"));
        }
    }

    private void create() {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        ports.forEach(port -> command.add("127.0.0.1:" + port));
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String output = run(command, Duration.ofSeconds(60));
        if (!output.contains("All 16384 slots covered")) {
            throw new IllegalStateException("redis-cli --cluster create failed:\n" + output);
        }
        for (int port : ports) {
            await("cluster state ok on node " + port).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> redisCli(port, "CLUSTER", "INFO").contains("cluster_state:ok"));
        }
    }

    @Override
    public void close() {
        stopNodes();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or has run: nothing left to do
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }

    private void stopNodes() {
        for (Process node : nodes) {
            node.destroy();
        }
        for (Process node : nodes) {
            try {
                if (!node.waitFor(10, TimeUnit.SECONDS)) {
                    node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                node.destroyForcibly();
            }
        }
    }

    /** {@code masters} consecutive ports from 7101 on whose cluster bus ports (+10000) are free too. */
    private static List<Integer> freePorts(int masters) {
        for (int first = FIRST_PORT; first < FIRST_PORT + 500; first += masters) {
            List<Integer> candidate = new ArrayList<>();
            for (int i = 0; i < masters; i++) {
                candidate.add(first + i);
            }
            if (candidate.stream().allMatch(port -> free(port) && free(port + CLUSTER_BUS_OFFSET))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free loopback ports for a Redis Cluster from " + FIRST_PORT);
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String run(List<String> command, Duration atMost) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + atMost);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", command)
                    + " (is redis-server installed? see .ci/run)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
