package ai.trainingstore.api;

import ai.trainingstore.dataset.ConversationDatasets;
import ai.trainingstore.dataset.ConversationRequest;
import ai.trainingstore.dataset.DatasetParameters;
import ai.trainingstore.dataset.DatasetSummary;
import ai.trainingstore.dataset.PreferenceDatasets;
import ai.trainingstore.dataset.PreferenceRequest;
import ai.trainingstore.dataset.PreferenceSummary;
import ai.trainingstore.dataset.TrajectoryDatasets;
import ai.trainingstore.dataset.TrajectoryRequest;
import ai.trainingstore.dataset.TrajectorySummary;
import ai.trainingstore.security.ApiTokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestMulti;

/**
 * {@code GET /api/v1/datasets/...}: conversations as fine-tuning lines (contract section 6.1) and
 * tasks as ATIF trajectories (6.2), streamed like row exports: validated before the first byte,
 * cut without the final chunk on failure, gzip on request, sharing the export slots.
 */
@Path("/api/v1/datasets")
public class DatasetResource {

    private final ConversationDatasets conversations;
    private final TrajectoryDatasets trajectories;
    private final PreferenceDatasets preferences;

    public DatasetResource(ConversationDatasets conversations, TrajectoryDatasets trajectories,
                           PreferenceDatasets preferences) {
        this.conversations = conversations;
        this.trajectories = trajectories;
        this.preferences = preferences;
    }

    @GET
    @Path("/conversations")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Conversations as OpenAI chat fine-tuning JSONL (or the Hugging Face / TRL shape)",
            description = "Query: format=openai|messages; metadata=true; from/to (first message); conversation_id,"
                    + " agent_id, task_id, task_status (repeat for any of); has_tools=true|false;"
                    + " min_score/max_score=<name>:<number>; limit; after=<conversation_id>; split=train|validation|test"
                    + " with validation_fraction, test_fraction, split_seed; redact=email,phone,ip,card,secret|all;"
                    + " dedup=exact|near with near_threshold (0.8) for dedup=near: duplicates of an earlier line"
                    + " left out (reason duplicate). Lines in conversation_id order (bytewise).")
    public RestMulti<Buffer> conversations(@Context UriInfo uri, @HeaderParam("Accept-Encoding") String acceptEncoding) {
        ConversationRequest request = ConversationRequest.parse(uri.getQueryParameters(), acceptEncoding);
        return ExportResource.download(conversations.export(request), "application/x-ndjson", request.fileName(),
                request.gzip());
    }

    @GET
    @Path("/conversations/summary")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "What the same conversations request emits, counted: skip reasons, splits, token estimates",
            description = "The conversations parameters, and explain=true: left_out lists per reason the first 20"
                    + " conversations left out with the message, call or size that decided it.")
    public Uni<DatasetSummary> summary(@Context UriInfo uri) {
        return summary(uri, ConversationRequest::parse, conversations::summary);
    }

    @GET
    @Path("/trajectories")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Tasks as ATIF trajectories (ATIF-v1.4): numbered steps, observations, the task and its feedback",
            description = "Query: from/to (task first_occurred_at); task_id, agent_id, workflow_id, task_type, status"
                    + " (repeat for any of); min_score/max_score=<name>:<number> (feedback on the task); limit;"
                    + " after=<task_id>; split=train|validation|test with validation_fraction, test_fraction,"
                    + " split_seed. Lines in task_id order (bytewise).")
    public RestMulti<Buffer> trajectories(@Context UriInfo uri, @HeaderParam("Accept-Encoding") String acceptEncoding) {
        TrajectoryRequest request = TrajectoryRequest.parse(uri.getQueryParameters(), acceptEncoding);
        return ExportResource.download(trajectories.export(request), "application/x-ndjson", request.fileName(),
                request.gzip());
    }

    @GET
    @Path("/trajectories/summary")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "What the same trajectories request emits, counted: lines, tasks left out by reason",
            description = "The trajectories parameters, and explain=true: left_out lists per reason the first 20"
                    + " tasks left out with what decided it.")
    public Uni<TrajectorySummary> trajectorySummary(@Context UriInfo uri) {
        return summary(uri, TrajectoryRequest::parse, trajectories::summary);
    }

    @GET
    @Path("/preferences")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Preference pairs (DPO) or KTO lines from feedback: corrections and ranked siblings",
            description = "Query: format=openai|trl|kto; pairs=corrections,ranked; score=<feedback name> (ranked pairs,"
                    + " kto); margin (ranked, default 0); threshold (kto, default 0.5); metadata=true; the conversations"
                    + " filters (from/to, conversation_id, agent_id, task_id, task_status, has_tools, min_score,"
                    + " max_score); limit; after=<identity>; split with validation_fraction, test_fraction, split_seed"
                    + " (on the line's identity); redact; max_tokens and tokenizer (a pair counts prompt + the longer"
                    + " output, kto prompt + completion); dedup=exact|near with near_threshold (on prompt + chosen +"
                    + " rejected, or prompt + completion, and tools). Lines in bytewise order of their identity.")
    public RestMulti<Buffer> preferences(@Context UriInfo uri, @HeaderParam("Accept-Encoding") String acceptEncoding) {
        PreferenceRequest request = PreferenceRequest.parse(uri.getQueryParameters(), acceptEncoding);
        return ExportResource.download(preferences.export(request), "application/x-ndjson", request.fileName(),
                request.gzip());
    }

    @GET
    @Path("/preferences/summary")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "What the same preferences request emits, counted: pairs by kind, what was left out and why",
            description = "The preferences parameters, and explain=true: left_out lists per reason the first 20"
                    + " conversations, groups or corrections left out with what decided it.")
    public Uni<PreferenceSummary> preferenceSummary(@Context UriInfo uri) {
        return summary(uri, PreferenceRequest::parse, preferences::summary);
    }

    /**
     * A summary: the dataset's own parameters parsed as its GET parses them (explain is the summary's,
     * not the dataset's), counted with or without the left-out examples.
     */
    private static <R, S> Uni<S> summary(UriInfo uri, BiFunction<Map<String, List<String>>, String, R> parse,
                                         BiFunction<R, Boolean, Uni<S>> count) {
        Map<String, List<String>> query = uri.getQueryParameters();
        return count.apply(parse.apply(DatasetParameters.withoutExplain(query), null), DatasetParameters.explain(query));
    }
}
