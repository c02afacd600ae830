package ai.trainingstore.api;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.redact.RedactionPolicy;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.search.SearchService;
import ai.trainingstore.search.VectorIndex;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.text.LogText;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code GET /api/v1/search/conversations} and {@code GET /api/v1/search/status} (scope {@code export}):
 * semantic search (contract section 10, docs/search.md). With search off every {@code /api/v1/search}
 * path answers 404 saying how to enable it, before authentication (nothing there to protect).
 */
@Path("/api/v1/search")
public class SearchResource {

    static final String OFF = "Semantic search is not enabled on this store: set training-store.search.enabled=true"
            + " (environment TRAINING_STORE_SEARCH_ENABLED=true) and restart; stored messages are then embedded in the"
            + " background (docs/search.md).";
    private static final Set<String> PARAMETERS = Set.of("q", "like", "k", "agent_id", "task_id", "from", "to", "redact");
    static final int MAX_K = 1000;
    /** Characters of each result's content returned; longer contents are cut and flagged. */
    static final int MAX_CONTENT_CHARS = 4000;

    private final SearchService search;
    private final RedactionPolicy redaction;
    private final int maxQueryChars;

    public SearchResource(SearchService search, RedactionPolicy redaction, StoreConfig config) {
        this.search = search;
        this.redaction = redaction;
        this.maxQueryChars = config.search().maxQueryChars();
    }

    public record Results(List<SearchService.Result> results) {
    }

    @GET
    @Path("/status")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Whether search is on, its model, messages indexed on this replica and messages waiting to be embedded")
    public SearchService.Status status() {
        return search.status();
    }

    @GET
    @Path("/conversations")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Conversations ranked by semantic similarity",
            description = "q=<text> (conversations ranked by their best-matching user or assistant message) or"
                    + " like=<conversation_id> (the conversations most similar to that one, itself left out); k (1.."
                    + MAX_K + ", default 10); filters agent_id, task_id (repeat for any of), from/to (the message's"
                    + " occurred_at); redact. Answers {\"results\": [{conversation_id, score, message_id, content}]}.")
    public Uni<Results> conversations(@Context UriInfo uri) {
        Map<String, List<String>> query = uri.getQueryParameters();
        query.keySet().stream().filter(name -> !PARAMETERS.contains(name)).findFirst().ifPresent(name -> {
            throw ApiErrors.badRequest("Unknown parameter '" + LogText.safe(name) + "': use q=<text> or like=<conversation_id>,"
                    + " k=<1.." + MAX_K + ">, agent_id, task_id, from, to and redact.");
        });
        QueryParameters.requireStorable(query);
        Optional<String> q = QueryParameters.single(query, "q");
        Optional<String> like = QueryParameters.single(query, "like");
        if (q.isPresent() == like.isPresent()) {
            throw ApiErrors.badRequest("Give exactly one of q=<text> (search by meaning) and like=<conversation_id>"
                    + " (conversations similar to that one).");
        }
        q.ifPresent(this::requireSearchable);
        like.filter(String::isEmpty).ifPresent(empty -> {
            throw ApiErrors.badRequest("'like' must be a conversation_id, not empty.");
        });
        int k = parseK(QueryParameters.single(query, "k"));
        Optional<Instant> from = QueryParameters.bound(query, "from");
        Optional<Instant> to = QueryParameters.bound(query, "to");
        VectorIndex.Filter filter = new VectorIndex.Filter(new HashSet<>(query.getOrDefault("agent_id", List.of())),
                new HashSet<>(query.getOrDefault("task_id", List.of())), from, to, Optional.empty());
        Redaction redact = redaction.effective(QueryParameters.redaction(query));
        if (q.isPresent()) {
            return search.byText(q.get(), k, filter, redact, MAX_CONTENT_CHARS).map(Results::new);
        }
        String conversation = like.get();
        return search.like(conversation, k, filter, redact, MAX_CONTENT_CHARS).map(found -> found.map(Results::new)
                .orElseThrow(() -> new WebApplicationException(ApiErrors.error(404, "Conversation '" + LogText.safe(conversation)
                        + "' has no indexed message: it does not exist, has no user or assistant message with content,"
                        + " or its messages are still waiting to be embedded (GET /api/v1/search/status shows how many wait)."))));
    }

    /** Anything else under /api/v1/search. */
    @GET
    @Path("/{rest: .+}")
    public void unknown() {
        throw new NotFoundException("No such search endpoint: use /api/v1/search/conversations or /api/v1/search/status.");
    }

    private void requireSearchable(String q) {
        if (q.isBlank()) {
            throw ApiErrors.badRequest("'q' is empty: give the text to search for, e.g. q=fix a failing unit test.");
        }
        if (q.length() > maxQueryChars) {
            throw ApiErrors.badRequest("'q' has " + q.length() + " characters; at most " + maxQueryChars
                    + " are accepted (the model reads only the first ~256 word pieces): shorten it.");
        }
        for (int i = 0; i < q.length(); i++) {
            char c = q.charAt(i);
            if (Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r') {
                throw ApiErrors.badRequest("'q' contains the control character U+" + String.format("%04X", (int) c)
                        + " at position " + i + ": send plain text.");
            }
            if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < q.length()
                    && Character.isLowSurrogate(q.charAt(i + 1))) && !(Character.isLowSurrogate(c) && i > 0
                    && Character.isHighSurrogate(q.charAt(i - 1)))) {
                throw ApiErrors.badRequest("'q' is not valid Unicode text (a lone surrogate at position " + i + ").");
            }
        }
    }

    private static int parseK(Optional<String> value) {
        if (value.isEmpty()) {
            return 10;
        }
        try {
            int k = Integer.parseInt(value.get());
            if (k >= 1 && k <= MAX_K) {
                return k;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new InvalidExportException("'k' must be a whole number from 1 to " + MAX_K + ", not '"
                + LogText.safe(value.get()) + "'.");
    }
}
