package ai.trainingstore.version;

import java.util.Map;

/**
 * A version request that cannot be answered as asked: the HTTP status, a message that says what to
 * do, and the headers that go with it (Retry-After on 429, Content-Range on 416).
 */
public final class VersionException extends RuntimeException {

    private final int status;
    private final Map<String, String> headers;

    VersionException(int status, String message) {
        this(status, message, Map.of());
    }

    VersionException(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = headers;
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
