package ai.trainingstore.api;

import ai.trainingstore.deadletter.DeadLetterReplay;
import ai.trainingstore.deadletter.DeadLetterReplay.Listed;
import ai.trainingstore.deadletter.DeadLetterReplay.Outcome;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.security.ApiTokens;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Lists dead letters (scope {@code export}) and replays them (scope {@code ingest}). */
@Path("/api/v1/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    private static final int DEFAULT_LIMIT = 100;
    private static final Set<String> LIST_PARAMETERS = Set.of("after", "limit");

    private final DeadLetterReplay deadLetters;

    public DeadLetterResource(DeadLetterReplay deadLetters) {
        this.deadLetters = deadLetters;
    }

    /** {@code ?after=<dead letter id>&limit=<1..1000>}; {@code next_after} pages on. */
    @GET
    @RolesAllowed(ApiTokens.EXPORT)
    public Uni<Map<String, Object>> list(@Context UriInfo uri) {
        Map<String, List<String>> query = uri.getQueryParameters();
        query.keySet().stream().filter(name -> !LIST_PARAMETERS.contains(name)).findFirst().ifPresent(name -> {
            throw ApiErrors.badRequest("Unknown parameter '" + name + "': use after=<dead letter id> and limit=<1.."
                    + DeadLetterReplay.PAGE + ">.");
        });
        int limit = parseLimit(query.getOrDefault("limit", List.of()).stream().findFirst());
        Optional<String> after = query.getOrDefault("after", List.of()).stream().findFirst();
        after.filter(id -> !id.matches("\\d+-\\d+")).ifPresent(id -> {
            throw ApiErrors.badRequest("'after' must be a dead letter id such as 1732430832123-0, not '" + id + "'.");
        });
        return deadLetters.list(after, limit).map(page -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("dead_letters", page.stream().map(DeadLetterResource::describe).toList());
            body.put("next_after", page.size() < limit ? null : page.get(page.size() - 1).id());
            return body;
        });
    }

    /** Body {@code {"ids": [...]}} replays those; no body or no ids replays all. */
    @POST
    @Path("/replay")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    @RolesAllowed(ApiTokens.INGEST)
    public Uni<Map<String, Object>> replay(JsonNode body) {
        List<String> ids = new ArrayList<>();
        if (body != null && !body.isNull() && !body.isMissingNode()) {
            JsonNode listed = body.get("ids");
            if (!body.isObject() || (listed != null && !listed.isArray())) {
                throw ApiErrors.badRequest("The body must be {\"ids\": [\"<dead letter id>\", ...]}, or empty to replay all.");
            }
            if (listed != null) {
                listed.forEach(id -> ids.add(id.asText()));
            }
        }
        return deadLetters.replay(ids).map(outcomes -> {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("replayed", outcomes.stream().filter(Outcome::replayed).map(outcome -> Map.of(
                    "id", outcome.id(), "source_stream", outcome.sourceStream(), "entry_id", outcome.entryId()))
                    .toList());
            result.put("not_replayed", outcomes.stream().filter(outcome -> !outcome.replayed())
                    .map(outcome -> Map.of("id", outcome.id(), "error", outcome.error())).toList());
            return result;
        });
    }

    private static Map<String, Object> describe(Listed listed) {
        Map<String, String> entry = listed.entry();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", listed.id());
        view.put("source_stream", entry.get(DeadLetters.SOURCE_STREAM));
        view.put("source_id", entry.get(DeadLetters.SOURCE_ID));
        view.put("error", entry.get(DeadLetters.ERROR));
        view.put("error_code", entry.get(DeadLetters.ERROR_CODE));
        view.put("delivery_count", entry.containsKey(DeadLetters.DELIVERY_COUNT)
                ? Integer.parseInt(entry.get(DeadLetters.DELIVERY_COUNT)) : null);
        view.put("fields", DeadLetters.originalFields(entry));
        return view;
    }

    private static int parseLimit(Optional<String> limit) {
        if (limit.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int value = Integer.parseInt(limit.get());
            if (value >= 1 && value <= DeadLetterReplay.PAGE) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiErrors.badRequest("'limit' must be a whole number from 1 to " + DeadLetterReplay.PAGE
                + ", not '" + limit.get() + "'.");
    }
}
