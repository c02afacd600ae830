package ai.trainingstore.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * This JVM's own TCP sockets, read from Linux /proc: tests match them against
 * {@code pg_stat_activity.client_port} to tell this run's PostgreSQL backends from other runs'
 * on a shared server.
 */
public final class OwnSockets {

    private OwnSockets() {
    }

    /** Local TCP ports of this process's sockets (Linux /proc). */
    public static Set<Integer> ownLocalPorts() {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException ignored) {
                    // closed meanwhile
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            try {
                List<String> rows = Files.readAllLines(Path.of(table));
                for (String row : rows.subList(1, rows.size())) {
                    String[] columns = row.trim().split("\\s+");
                    if (inodes.contains(columns[9])) {
                        String local = columns[1];
                        ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
                    }
                }
            } catch (IOException ignored) {
                // no IPv6 table
            }
        }
        return ports;
    }
}
