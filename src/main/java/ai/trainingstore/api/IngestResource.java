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
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

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
    @Operation(summary = "Add records to a kind's stream",
            description = "Body: a JSON object, a JSON array of objects, or NDJSON. Every record is validated as on"
                    + " the stream; if any is bad the request is refused with 400 and per-record errors and"
                    + " nothing is added. Otherwise 202 with the stream entry ids, in order.")
    public Uni<Response> ingest(@PathParam("kind") String kindId, RequestBody body) {
        RecordKind kind = ExportResource.kind(kindId);
        return ingest.ingest(kind, body.bytes()).map(ids -> {
            Map<String, Object> accepted = new LinkedHashMap<>();
            accepted.put("kind", kind.id());
            accepted.put("stream", config.streams().of(kind));
            accepted.put("entry_ids", ids);
            return Response.accepted(accepted).type(MediaType.APPLICATION_JSON).build();
        });
    }
}
