package ai.trainingstore.hostile;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * RESP over a plain socket of its own: raw byte arguments (a field value that is not valid UTF-8,
 * which no String-based client can send) and commands that must not go through the application's
 * pool (CLIENT LIST, to see whether one of the pool's connections was left inside MULTI).
 */
final class RedisWire implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    RedisWire() {
        try {
            socket = new Socket("localhost", 6379);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("Redis is not reachable on localhost:6379", e);
        }
    }

    /** Runs one command; arguments are byte[] (sent as they are) or anything else (its UTF-8 text). */
    Object call(Object... arguments) {
        try {
            ByteArrayOutputStream command = new ByteArrayOutputStream();
            command.write(("*" + arguments.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (Object argument : arguments) {
                byte[] bytes = argument instanceof byte[] raw ? raw
                        : String.valueOf(argument).getBytes(StandardCharsets.UTF_8);
                command.write(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                command.write(bytes);
                command.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write(command.toByteArray());
            out.flush();
            return reply();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A bulk or simple string reply as text. */
    String text(Object... arguments) {
        Object reply = call(arguments);
        if (reply instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return String.valueOf(reply);
    }

    long integer(Object... arguments) {
        return (Long) call(arguments);
    }

    /** Error replies come back as this, so a test can assert on them. */
    record Error(String message) {
    }

    private Object reply() throws IOException {
        int type = in.read();
        String line = line();
        return switch (type) {
            case '+' -> line;
            case '-' -> new Error(line);
            case ':' -> Long.parseLong(line);
            case '$' -> {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    yield null;
                }
                byte[] bytes = in.readNBytes(length);
                line();
                yield bytes;
            }
            case '*' -> {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    yield null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(reply());
                }
                yield items;
            }
            default -> throw new IOException("unexpected RESP type " + (char) type);
        };
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\r') {
                in.read();
                break;
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    // ---- CLIENT LIST ----

    /** One line of CLIENT LIST. */
    record Client(String id, String addr, String flags, String cmd, String line) {
        boolean inMulti() {
            return flags.contains("x");
        }

        int port() {
            return Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
        }
    }

    List<Client> clients() {
        List<Client> clients = new ArrayList<>();
        for (String line : text("CLIENT", "LIST").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String id = "", addr = "", flags = "", cmd = "";
            for (String field : line.trim().split(" ")) {
                int eq = field.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String name = field.substring(0, eq);
                String value = field.substring(eq + 1);
                switch (name) {
                    case "id" -> id = value;
                    case "addr" -> addr = value;
                    case "flags" -> flags = value;
                    case "cmd" -> cmd = value;
                    default -> {
                    }
                }
            }
            clients.add(new Client(id, addr, flags, cmd, line.trim()));
        }
        return clients;
    }

    /**
     * The local ports of this JVM's TCP connections to port 6379, read from /proc: the
     * application's pool is in this JVM (QuarkusTest), while other suites on the machine share
     * the same Redis and may be inside MULTI for a moment. Empty when /proc cannot be read.
     */
    static Set<Integer> ownRedisPorts() {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException | UnsupportedOperationException ignored) {
                    // closed meanwhile
                }
            });
        } catch (IOException e) {
            return Set.of();
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] columns = line.trim().split("\\s+");
                    if (columns.length < 10 || !columns[2].contains(":")) {
                        continue;
                    }
                    int remotePort = Integer.parseInt(columns[2].substring(columns[2].indexOf(':') + 1), 16);
                    if (remotePort == 6379 && inodes.contains(columns[9])) {
                        ports.add(Integer.parseInt(columns[1].substring(columns[1].indexOf(':') + 1), 16));
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // no such table
            }
        }
        return ports;
    }
}
