package ai.trainingstore.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A deliberately small HTTP/1.1 client over a plain socket, so that a test controls every byte it
 * sends (malformed percent-encoding, CESU-8 surrogates, a 40 KB header, a 60 MB generated body) and
 * sees exactly what came back: status, headers, the body as sent and whether a chunked body ended
 * with its final chunk. Every request has its own connection ({@code Connection: close}) and a
 * deadline, so a request the service never answers is reported, not waited for.
 */
final class RawHttp {

    /** Bodies larger than this are counted but not kept (exports in these tests are small). */
    private static final int KEEP_BYTES = 32 * 1024 * 1024;

    private final String host;
    private final int port;

    RawHttp(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** What came back. {@code failure} is set when no complete status line and headers arrived. */
    record Response(int status, Map<String, List<String>> headers, byte[] body, long bodyBytes, boolean chunked,
                    boolean complete, boolean bodyTimedOut, String failure, long bytesSent,
                    Duration elapsed) {

        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        String mediaType() {
            String type = header("content-type");
            return type == null ? null : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        boolean answered() {
            return failure == null;
        }

        String shortText() {
            String text = text();
            return text.length() <= 300 ? text : text.substring(0, 297) + "...";
        }

        @Override
        public String toString() {
            return failure != null ? "no answer (" + failure + ") after " + elapsed.toMillis() + " ms"
                    : status + " " + mediaType() + " " + shortText();
        }
    }

    /** A request body: its bytes, produced while the request is sent. */
    interface Body {
        /** -1 to send the body chunked (no Content-Length). */
        long length();

        InputStream open() throws IOException;

        static Body of(byte[] bytes) {
            return new Body() {
                public long length() {
                    return bytes.length;
                }

                public InputStream open() {
                    return new java.io.ByteArrayInputStream(bytes);
                }
            };
        }

        static Body chunked(java.util.function.Supplier<InputStream> stream) {
            return new Body() {
                public long length() {
                    return -1;
                }

                public InputStream open() {
                    return stream.get();
                }
            };
        }

        static Body sized(long length, java.util.function.Supplier<InputStream> stream) {
            return new Body() {
                public long length() {
                    return length;
                }

                public InputStream open() {
                    return stream.get();
                }
            };
        }
    }

    Response get(String target, Map<String, String> headers, Duration timeout) {
        return send("GET", target, headers, null, timeout);
    }

    /**
     * Sends the request. The head is written at once; the body (if any) is written by a second
     * thread while this one reads the answer, so a service that answers before reading the whole
     * body (413) is seen answering, however much of the body is still unsent.
     */
    Response send(String method, String target, Map<String, String> headers, Body body, Duration timeout) {
        long started = System.nanoTime();
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            Map<String, String> all = new LinkedHashMap<>();
            all.put("Host", host + ":" + port);
            all.put("Connection", "close");
            if (body != null) {
                if (body.length() >= 0) {
                    all.put("Content-Length", Long.toString(body.length()));
                } else {
                    all.put("Transfer-Encoding", "chunked");
                }
            }
            all.putAll(headers);
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            all.forEach((name, value) -> {
                if (value != null) {
                    head.append(name).append(": ").append(value).append("\r\n");
                }
            });
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            AtomicReference<Throwable> writeFailure = new AtomicReference<>();
            Thread writer = null;
            if (body != null) {
                writer = new Thread(() -> {
                    try (InputStream in = body.open()) {
                        writeBody(in, body.length() < 0, out, sent);
                    } catch (Throwable e) {
                        writeFailure.set(e); // the service may close the connection once it has answered
                    }
                }, "raw-http-body-writer");
                writer.setDaemon(true);
                writer.start();
            }
            try {
                return read(socket, timeout, started, sent);
            } finally {
                if (writer != null) {
                    socket.close(); // stops the writer if the body is not all sent
                    writer.join(10_000);
                }
            }
        } catch (IOException e) {
            return failed(e.toString(), started, sent.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted", started, sent.get());
        }
    }

    private static void writeBody(InputStream in, boolean chunked, OutputStream out, AtomicLong sent)
            throws IOException {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0; ) {
            if (chunked) {
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.write(buffer, 0, n);
            if (chunked) {
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            sent.addAndGet(n);
        }
        if (chunked) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
    }

    private static Response failed(String why, long started, long sent) {
        return new Response(-1, Map.of(), new byte[0], 0, false, false, false, why, sent,
                Duration.ofNanos(System.nanoTime() - started));
    }

    private Response read(Socket socket, Duration timeout, long started, AtomicLong sent) throws IOException {
        long deadline = started + timeout.toNanos();
        Reader in = new Reader(socket, deadline);
        String statusLine;
        Map<String, List<String>> headers = new LinkedHashMap<>();
        try {
            // 1xx answers (100 Continue) come before the real one.
            do {
                statusLine = in.line();
                headers.clear();
                for (String line; !(line = in.line()).isEmpty(); ) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                                k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
                    }
                }
            } while (statusLine.matches("HTTP/1\\.\\d 1\\d\\d.*"));
        } catch (SocketTimeoutException e) {
            return failed("no status line within " + timeout.toMillis() + " ms", started, sent.get());
        } catch (IOException e) {
            return failed("no status line: " + e, started, sent.get());
        }
        String[] parts = statusLine.split(" ", 3);
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            return failed("bad status line '" + statusLine + "'", started, sent.get());
        }
        Sink body = new Sink();
        boolean chunked = headers.getOrDefault("transfer-encoding", List.of()).stream()
                .anyMatch(value -> value.toLowerCase(Locale.ROOT).contains("chunked"));
        boolean complete;
        try {
            if (chunked) {
                complete = in.chunks(body);
            } else if (headers.containsKey("content-length")) {
                long length = Long.parseLong(headers.get("content-length").get(0));
                complete = in.exactly(length, body);
            } else {
                in.toEnd(body);
                complete = true; // the end of the connection is the end of such a body
            }
        } catch (SocketTimeoutException e) {
            return new Response(status, headers, body.bytes(), body.count, chunked, false, true, null,
                    sent.get(), Duration.ofNanos(System.nanoTime() - started));
        } catch (IOException e) {
            complete = false;
        }
        return new Response(status, headers, body.bytes(), body.count, chunked, complete, false, null,
                sent.get(), Duration.ofNanos(System.nanoTime() - started));
    }

    /** Collects a body up to {@link #KEEP_BYTES}, counting all of it. */
    private static final class Sink {
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long count;

        void write(byte[] bytes, int offset, int length) {
            int keep = (int) Math.max(0, Math.min(length, KEEP_BYTES - kept.size()));
            kept.write(bytes, offset, keep);
            count += length;
        }

        byte[] bytes() {
            return kept.toByteArray();
        }
    }

    /** Buffered reading of the socket against one deadline for the whole answer. */
    private static final class Reader {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;

        Reader(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        private boolean fill() throws IOException {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
            int n = in.read(buffer);
            if (n < 0) {
                return false;
            }
            position = 0;
            limit = n;
            return true;
        }

        String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                if (position == limit && !fill()) {
                    throw new IOException("connection closed in the middle of a line");
                }
                byte b = buffer[position++];
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
                }
                line.write(b);
                if (line.size() > 1_000_000) {
                    throw new IOException("line over 1 MB");
                }
            }
        }

        boolean exactly(long length, Sink sink) throws IOException {
            long left = length;
            while (left > 0) {
                if (position == limit && !fill()) {
                    return false;
                }
                int n = (int) Math.min(left, limit - position);
                sink.write(buffer, position, n);
                position += n;
                left -= n;
            }
            return true;
        }

        void toEnd(Sink sink) throws IOException {
            while (true) {
                if (position == limit && !fill()) {
                    return;
                }
                sink.write(buffer, position, limit - position);
                position = limit;
            }
        }

        /** True when the body ended with its final (empty) chunk. */
        boolean chunks(Sink sink) throws IOException {
            while (true) {
                String sizeLine;
                try {
                    sizeLine = line();
                } catch (SocketTimeoutException e) {
                    throw e;
                } catch (IOException e) {
                    return false;
                }
                int semicolon = sizeLine.indexOf(';');
                long size;
                try {
                    size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                } catch (NumberFormatException e) {
                    return false;
                }
                if (size == 0) {
                    try {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                    } catch (IOException e) {
                        return false;
                    }
                    return true;
                }
                if (!exactly(size, sink)) {
                    return false;
                }
                try {
                    if (!line().isEmpty()) {
                        return false;
                    }
                } catch (SocketTimeoutException e) {
                    throw e;
                } catch (IOException e) {
                    return false;
                }
            }
        }
    }
}
