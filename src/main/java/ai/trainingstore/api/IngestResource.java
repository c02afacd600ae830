package ai.trainingstore.api;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.publish.HttpIngest;
import ai.trainingstore.security.ApiTokens;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** {@code POST /api/v1/ingest/{kind}}: records over HTTP, added to the kind's stream like an agent's. */
@Path("/api/v1/ingest")
public class IngestResource {

    private final HttpIngest ingest;
    private final StoreConfig config;

    public IngestResource(HttpIngest ingest, StoreConfig config) {
        this.ingest = ingest;
        this.config = config;
    }

    @POST
    @Path("/{kind}")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.INGEST)
    @APIResponse(responseCode = "202", description = "Every record added",
            content = @Content(schema = @Schema(implementation = Answers.Accepted.class)))
    @APIResponse(responseCode = "400", description = "Some record is invalid: none was added",
            content = @Content(schema = @Schema(implementation = Answers.InvalidRecords.class)))
    @APIResponse(responseCode = "413", description = "Too large a body or too many records",
            content = @Content(schema = @Schema(implementation = Answers.Error.class)))
    @Operation(summary = "Add records to a kind's stream",
            description = "Body: a JSON object, a JSON array of objects, or NDJSON. Every record is validated as on"
                    + " the stream; if any is bad the request is refused with 400 and per-record errors and"
                    + " nothing is added. Otherwise 202 with the stream entry ids, in order.")
    public Uni<Response> ingest(@PathParam("kind") String kindId, RequestBody body) {
        RecordKind kind = ExportResource.kind(kindId);
        return ingest.ingest(kind, body.bytes()).map(ids -> Response
                .accepted(new Answers.Accepted(kind.id(), config.streams().of(kind), ids))
                .type(MediaType.APPLICATION_JSON)
                .build());
    }
}
