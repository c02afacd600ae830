package ai.trainingstore.api;

import ai.trainingstore.analytics.AnalyticsService;
import ai.trainingstore.export.ExportRequest;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.publish.HttpIngest;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.version.VersionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every API error as JSON: {@code {"error": "<what is wrong and how to fix it>"}}. */
public class ApiErrors {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ApiErrors.class);

    private final ApiTokens tokens;

    public ApiErrors(ApiTokens tokens) {
        this.tokens = tokens;
    }

    public static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Answers.Error(message)).build();
    }

    /** Thrown by resources for a request the client must fix. */
    public static WebApplicationException badRequest(String message) {
        return new WebApplicationException(error(400, message));
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized() {
        if (!tokens.anyConfigured()) {
            return withChallenge(error(401, "No API token is configured, so the API refuses every request:"
                    + " set TRAINING_STORE_TOKENS to <token>:<scopes>[,...] with scopes export, ingest and"
                    + " admin joined with '+' (for example from a Kubernetes Secret) and restart."));
        }
        return withChallenge(error(401, "Missing or unknown token: send Authorization: Bearer <token> with a token"
                + " from TRAINING_STORE_TOKENS."));
    }

    @ServerExceptionMapper
    public Response invalidExport(ExportRequest.InvalidExportException e) {
        return error(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response invalidRecords(HttpIngest.InvalidRecordsException e) {
        return Response.status(400).type(MediaType.APPLICATION_JSON)
                .entity(new Answers.InvalidRecords(e.getMessage(), e.errors())).build();
    }

    @ServerExceptionMapper
    public Response unreadableBody(HttpIngest.UnreadableBodyException e) {
        return error(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response tooManyRecords(HttpIngest.TooManyRecordsException e) {
        return error(413, e.getMessage());
    }

    /** The unread rest of the body cannot be skipped cheaply: the connection is closed after the answer. */
    @ServerExceptionMapper
    public Response bodyTooLarge(RequestBody.TooLargeException e) {
        return Response.fromResponse(error(413, e.getMessage())).header("Connection", "close").build();
    }

    @ServerExceptionMapper
    public Response replicaUnavailable(ai.trainingstore.store.ReadPool.ReplicaUnavailableException e) {
        return Response.fromResponse(error(503, e.getMessage()))
                .header("Retry-After", Long.toString(e.retryAfterSeconds())).build();
    }

    @ServerExceptionMapper
    public Response tooManyExports(ExportService.TooManyExportsException e) {
        return Response.fromResponse(error(429, e.getMessage())).header("Retry-After", "5").build();
    }

    @ServerExceptionMapper
    public Response tooManyAnalytics(AnalyticsService.TooManyAnalyticsException e) {
        return Response.fromResponse(error(429, e.getMessage())).header("Retry-After", "5").build();
    }

    @ServerExceptionMapper
    public Response version(VersionException e) {
        Response.ResponseBuilder response = Response.fromResponse(error(e.status(), e.getMessage()));
        e.headers().forEach(response::header);
        return response.build();
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return error(404, e.getMessage() != null && !e.getMessage().startsWith("HTTP 404")
                ? e.getMessage() : "No such endpoint: see docs/http-api.md.");
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return error(403, "This token lacks the scope this endpoint needs: exports and dead-letter listing need"
                + " 'export', ingest and replay need 'ingest', retention runs and version deletion need 'admin'.");
    }

    /**
     * Anything unexpected: JSON too, with an id to find the stack trace in the log. An HTTP error
     * raised by the REST layer itself (405, 406, 413, 415...) carries no body: it gets one that
     * says what to change.
     */
    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable failure) {
        if (failure instanceof WebApplicationException web) {
            Response response = web.getResponse();
            if (response.hasEntity() || response.getStatus() < 400) {
                return response;
            }
            return Response.fromResponse(error(response.getStatus(), reasonFor(response.getStatus()))).build();
        }
        String id = java.util.UUID.randomUUID().toString();
        LOG.errorf(failure, "Request failed, error id %s", id);
        return error(500, "Internal error (id " + id + "); the service log has the details under this id.");
    }

    /** The error text for a status the HTTP layer chose without a reason of its own. */
    public static String reasonFor(int status) {
        return switch (status) {
            case 400 -> "The request is malformed: check its syntax against docs/http-api.md.";
            case 404 -> "No such endpoint: see docs/http-api.md.";
            case 405 -> "This method is not allowed on this endpoint: see docs/http-api.md.";
            case 406 -> "The Accept header asks for a type this endpoint cannot produce: accept application/json"
                    + " (or the export's format).";
            case 413 -> "The request body is too large: send fewer records per request.";
            case 414 -> "The request URI is too long: send fewer or shorter parameters.";
            case 415 -> "This endpoint cannot read the body's Content-Type: send application/json.";
            case 431 -> "The request headers are too large: send fewer or shorter headers.";
            default -> "The request was refused with HTTP status " + status + ".";
        };
    }

    private static Response withChallenge(Response response) {
        return Response.fromResponse(response).header("WWW-Authenticate", "Bearer").build();
    }
}
