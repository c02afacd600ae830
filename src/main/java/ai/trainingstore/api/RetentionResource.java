package ai.trainingstore.api;

import ai.trainingstore.retention.RetentionJob;
import ai.trainingstore.retention.RetentionReport;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.text.LogText;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** {@code POST /api/v1/retention/run} (scope {@code admin}: it deletes rows): runs retention now (contract section 8). */
@Path("/api/v1/retention")
public class RetentionResource {

    private final RetentionJob job;

    public RetentionResource(RetentionJob job) {
        this.job = job;
    }

    @POST
    @Path("/run")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.ADMIN)
    @Operation(summary = "Run retention now",
            description = "Deletes, per kind with a policy (training-store.retention.<kind>), the rows whose occurred_at"
                    + " is older than the policy, archiving them first when training-store.retention.archive-dir is"
                    + " set. Answers per kind the rows deleted and archived and the files written; a kind another"
                    + " replica is running says so in 'skipped'.")
    public Uni<RetentionReport> run(@Context UriInfo uri) {
        uri.getQueryParameters().keySet().stream().findFirst().ifPresent(name -> {
            throw ApiErrors.badRequest("Unknown parameter '" + LogText.safe(name) + "': POST /api/v1/retention/run"
                    + " takes none; the policies come from training-store.retention.<kind>.");
        });
        return job.run(Instant.now());
    }
}
