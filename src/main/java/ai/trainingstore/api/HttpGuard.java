package ai.trainingstore.api;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.text.LogText;
import ai.trainingstore.text.Utf8;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Checks every request before any resource sees it, so that what the HTTP layer refuses gets the
 * same JSON error body as the API's own errors: a URI, headers or body over the limits, a query
 * string that is not valid percent-encoded UTF-8, a path with an encoded '/' or '\' ({@code %2F},
 * {@code %5C}: the static files would decode it and serve {@code /console%2F} as {@code /console/}
 * outside the routes that add the console's security headers). The HTTP codec's own limits
 * ({@code quarkus.http.limits.max-initial-line-length}, {@code max-header-size}) are set well above
 * these, so a request is refused here, with a reason, long before the codec drops it bare.
 * A failure no resource turned into a response (a route's 404, an exception below REST) is
 * answered as JSON too.
 */
@ApplicationScoped
public class HttpGuard {

    private static final Logger LOG = Logger.getLogger(HttpGuard.class);
    /** Before Quarkus' own body-size route (order -2), which answers an empty 413. */
    private static final int ORDER = -3;
    public static final int MAX_URI_CHARS = 16 * 1024;
    public static final int MAX_HEADER_BYTES = 32 * 1024;

    private final long maxBodyBytes;

    public HttpGuard(StoreConfig config) {
        this.maxBodyBytes = config.ingest().maxRequestBytes();
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::check);
        router.route().order(ORDER).failureHandler(HttpGuard::answerFailure);
        // Failures the router decides before any route runs (a path it cannot decode, say).
        for (int status = 400; status < 600; status++) {
            router.errorHandler(status, HttpGuard::answerFailure);
        }
    }

    private void check(RoutingContext context) {
        if (refusal(context.request()) == null) {
            context.next();
        }
    }

    /** Answers the request when it breaks a limit; returns null when it may go on. */
    private String refusal(HttpServerRequest request) {
        String uri = request.uri();
        if (uri.length() > MAX_URI_CHARS) {
            return refuse(request, 414, "The request URI is " + uri.length() + " characters, over the limit of "
                    + MAX_URI_CHARS + ": send fewer or shorter parameters.");
        }
        long headerBytes = 0;
        for (Map.Entry<String, String> header : request.headers()) {
            headerBytes += header.getKey().length() + header.getValue().length() + 4;
        }
        if (headerBytes > MAX_HEADER_BYTES) {
            return refuse(request, 431, "The request headers are " + headerBytes + " bytes, over the limit of "
                    + MAX_HEADER_BYTES + ": send fewer or shorter headers.");
        }
        String length = request.getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null && !length.matches("\\d{1,18}")) {
            return refuse(request, 400, "Content-Length must be a number of bytes, not '" + LogText.safe(length)
                    + "'.");
        }
        if (length != null && Long.parseLong(length) > maxBodyBytes) {
            request.response().putHeader(HttpHeaderNames.CONNECTION, "close");
            return refuse(request, 413, "The request body is " + length + " bytes, over the limit of "
                    + maxBodyBytes + " (training-store.ingest.max-request-bytes): send fewer records per request.");
        }
        String encodedSeparator = encodedSeparator(request.path());
        if (encodedSeparator != null) {
            return refuse(request, 400, "The path holds an encoded '" + encodedSeparator + "' (%"
                    + (encodedSeparator.equals("/") ? "2F" : "5C") + "): write '/' as it is, and no '\\' at all"
                    + " (the console is at /console/).");
        }
        String query = request.query();
        if (query != null) {
            String problem = percentEncodingProblem(query);
            if (problem != null) {
                return refuse(request, 400, "The query string " + problem
                        + ": percent-encode parameters as UTF-8 (for example %20 for a space).");
            }
        }
        return null;
    }

    /** The separator a raw path hides percent-encoded ({@code %2F}, {@code %5C}, any case), or null. */
    static String encodedSeparator(String rawPath) {
        if (rawPath == null) {
            return null;
        }
        String upper = rawPath.toUpperCase(java.util.Locale.ROOT);
        return upper.contains("%2F") ? "/" : upper.contains("%5C") ? "\\" : null;
    }

    /** Why the query string does not decode as percent-encoded UTF-8, or null when it does. */
    static String percentEncodingProblem(String query) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(query.length());
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '%') {
                if (i + 2 >= query.length() || Character.digit(query.charAt(i + 1), 16) < 0
                        || Character.digit(query.charAt(i + 2), 16) < 0) {
                    return "has a '%' not followed by two hex digits (at character " + (i + 1) + ")";
                }
                bytes.write(Character.digit(query.charAt(i + 1), 16) * 16 + Character.digit(query.charAt(i + 2), 16));
                i += 2;
            } else {
                bytes.write(c < 0x80 ? c : '?');
            }
        }
        return Utf8.decodeStrictly(bytes.toByteArray()) == null ? "is not valid UTF-8 once percent-decoded" : null;
    }

    private static String refuse(HttpServerRequest request, int status, String message) {
        write(request.response(), status, message);
        return message;
    }

    private static void answerFailure(RoutingContext context) {
        HttpServerResponse response = context.response();
        if (response.headWritten()) {
            // Mid-stream: the status is gone; closing without the final chunk tells the client.
            response.close();
            return;
        }
        int status = context.statusCode() < 400 ? 500 : context.statusCode();
        String message;
        if (status == 500) {
            String id = java.util.UUID.randomUUID().toString();
            LOG.errorf(context.failure(), "Request failed below the API, error id %s", id);
            message = "Internal error (id " + id + "); the service log has the details under this id.";
        } else {
            message = ApiErrors.reasonFor(status);
        }
        write(response, status, message);
    }

    private static void write(HttpServerResponse response, int status, String message) {
        response.setStatusCode(status)
                .putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("error", message).encode());
    }
}
