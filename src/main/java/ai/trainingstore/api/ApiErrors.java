package ai.trainingstore.api;

import ai.trainingstore.security.ApiTokens;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every API error as JSON: {@code {"error": "<what is wrong and how to fix it>"}}. */
public class ApiErrors {

    private final ApiTokens tokens;

    public ApiErrors(ApiTokens tokens) {
        this.tokens = tokens;
    }

    public static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }

    /** Thrown by resources for a request the client must fix. */
    public static WebApplicationException badRequest(String message) {
        return new WebApplicationException(error(400, message));
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized() {
        if (!tokens.anyConfigured()) {
            return withChallenge(error(401, "No API token is configured, so the API refuses every request:"
                    + " set TRAINING_STORE_TOKENS to <token>:<scopes>[,...] with scopes export, ingest or"
                    + " export+ingest (for example from a Kubernetes Secret) and restart."));
        }
        return withChallenge(error(401, "Missing or unknown token: send Authorization: Bearer <token> with a token"
                + " from TRAINING_STORE_TOKENS."));
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return error(403, "This token lacks the scope this endpoint needs: exports and dead-letter listing need"
                + " 'export', ingest and replay need 'ingest'.");
    }

    private static Response withChallenge(Response response) {
        return Response.fromResponse(response).header("WWW-Authenticate", "Bearer").build();
    }
}
