package ai.trainingstore.api;

import ai.trainingstore.analytics.AnalyticsRequest;
import ai.trainingstore.analytics.AnalyticsService;
import ai.trainingstore.analytics.AnalyticsView;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.text.LogText;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestMulti;

/** {@code GET /api/v1/analytics/{view}} (scope {@code export}): daily aggregates (contract section 8). */
@Path("/api/v1/analytics")
public class AnalyticsResource {

    private final AnalyticsService analytics;

    public AnalyticsResource(AnalyticsService analytics) {
        this.analytics = analytics;
    }

    @GET
    @Path("/{view}")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Daily aggregates: agent_daily, tool_daily, task_outcomes_daily, feedback_daily",
            description = "Query: from (first UTC day, YYYY-MM-DD) and to (first day left out), agent_id (repeat for"
                    + " any of), format=json (an array of row objects, default) or csv. Rows by day, then the view's keys,"
                    + " streamed. A range of more than training-store.analytics.max-rows rows is refused with 400"
                    + " (narrow it); over training-store.analytics.max-concurrent answers at once, 429.")
    public RestMulti<Buffer> view(@PathParam("view") String viewId, @Context UriInfo uri) {
        AnalyticsView view = AnalyticsView.byId(viewId).orElseThrow(() -> new NotFoundException("Unknown analytics view '"
                + LogText.safe(viewId) + "': use one of " + AnalyticsView.ids() + "."));
        AnalyticsRequest request = AnalyticsRequest.parse(view, uri.getQueryParameters());
        String type = request.csv() ? "text/csv; charset=utf-8" : "application/json";
        // Status and headers go with the first chunk; a refusal before it (400, 429) is a JSON error instead.
        return RestMulti.fromMultiData(analytics.answer(request))
                .status(200)
                .header("Content-Type", type)
                .header("Cache-Control", "no-store")
                .build();
    }
}
