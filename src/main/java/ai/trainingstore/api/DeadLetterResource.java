package ai.trainingstore.api;

import ai.trainingstore.deadletter.DeadLetterReplay;
import ai.trainingstore.deadletter.DeadLetterReplay.Listed;
import ai.trainingstore.deadletter.DeadLetterReplay.Outcome;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.record.EntryParser;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.text.LogText;
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
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Lists dead letters (scope {@code export}) and replays them (scope {@code ingest}). */
@Path("/api/v1/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    private static final int DEFAULT_LIMIT = 100;
    /** Nothing comes after it (and Redis refuses an exclusive range starting there). */
    private static final String MAX_STREAM_ID = "18446744073709551615-18446744073709551615";
    private static final Set<String> LIST_PARAMETERS = Set.of("after", "limit");

    private final DeadLetterReplay deadLetters;

    public DeadLetterResource(DeadLetterReplay deadLetters) {
        this.deadLetters = deadLetters;
    }

    /** {@code ?after=<dead letter id>&limit=<1..1000>}; {@code next_after} pages on. */
    @GET
    @RolesAllowed(ApiTokens.EXPORT)
    public Uni<Answers.DeadLetterPage> list(@Context UriInfo uri) {
        Map<String, List<String>> query = uri.getQueryParameters();
        query.keySet().stream().filter(name -> !LIST_PARAMETERS.contains(name)).findFirst().ifPresent(name -> {
            throw ApiErrors.badRequest("Unknown parameter '" + LogText.safe(name) + "': use after=<dead letter id> and limit=<1.."
                    + DeadLetterReplay.PAGE + ">.");
        });
        LIST_PARAMETERS.stream().filter(name -> query.getOrDefault(name, List.of()).size() > 1).findFirst()
                .ifPresent(name -> {
                    throw ApiErrors.badRequest("'" + name + "' is given more than once; give it once.");
                });
        int limit = parseLimit(query.getOrDefault("limit", List.of()).stream().findFirst());
        Optional<String> after = query.getOrDefault("after", List.of()).stream().findFirst();
        after.filter(id -> !isStreamId(id)).ifPresent(id -> {
            throw ApiErrors.badRequest("'after' must be a dead letter id such as 1732430832123-0, not '"
                    + LogText.safe(id) + "'.");
        });
        Uni<List<Listed>> listed = after.filter(MAX_STREAM_ID::equals).isPresent()
                ? Uni.createFrom().item(List.of()) : deadLetters.list(after, limit);
        return listed.map(page -> new Answers.DeadLetterPage(
                page.stream().map(DeadLetterResource::describe).toList(),
                page.size() < limit ? null : page.get(page.size() - 1).id()));
    }

    /** Body {@code {"ids": [...]}} replays those; no body or no ids replays all. */
    @POST
    @Path("/replay")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.WILDCARD})
    @RolesAllowed(ApiTokens.INGEST)
    public Uni<Answers.Replay> replay(RequestBody body) {
        List<String> ids = replayIds(body);
        return deadLetters.replay(ids).map(outcomes -> new Answers.Replay(
                outcomes.stream().filter(Outcome::replayed)
                        .map(outcome -> new Answers.Replayed(outcome.id(), outcome.sourceStream(), outcome.entryId()))
                        .toList(),
                outcomes.stream().filter(outcome -> !outcome.replayed())
                        .map(outcome -> new Answers.NotReplayed(outcome.id(), outcome.error()))
                        .toList()));
    }

    private static final String REPLAY_BODY = "The body must be {\"ids\": [\"<dead letter id>\", ...]} with at most "
            + DeadLetterReplay.PAGE + " ids, or empty to replay all";

    /** The ids a replay body lists, each a valid stream id; empty for "all". */
    static List<String> replayIds(RequestBody body) {
        if (body == null || body.isEmpty()) {
            return List.of();
        }
        JsonNode json;
        try {
            json = EntryParser.JSON.readTree(body.bytes());
        } catch (IOException e) {
            throw ApiErrors.badRequest(REPLAY_BODY + "; it is not valid JSON.");
        }
        if (json == null || json.isNull() || json.isMissingNode()) {
            return List.of();
        }
        JsonNode listed = json.get("ids");
        if (!json.isObject() || (listed != null && !listed.isArray()) || json.size() > (listed == null ? 0 : 1)) {
            throw ApiErrors.badRequest(REPLAY_BODY + ".");
        }
        if (listed == null) {
            return List.of();
        }
        if (listed.size() > DeadLetterReplay.PAGE) {
            throw ApiErrors.badRequest(REPLAY_BODY + "; it lists " + listed.size() + ": replay in several requests.");
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < listed.size(); i++) {
            JsonNode id = listed.get(i);
            if (!id.isTextual() || !isStreamId(id.textValue())) {
                throw ApiErrors.badRequest("ids[" + i + "] must be a dead letter id such as 1732430832123-0, not "
                        + LogText.safe(id.toString()) + ".");
            }
            ids.add(id.textValue());
        }
        return ids;
    }

    /** A Redis stream id: {@code <ms>-<seq>}, each an unsigned 64-bit number. */
    static boolean isStreamId(String id) {
        int dash = id.indexOf('-');
        return dash > 0 && id.matches("\\d{1,20}-\\d{1,20}")
                && fitsUnsigned64(id.substring(0, dash)) && fitsUnsigned64(id.substring(dash + 1));
    }

    private static boolean fitsUnsigned64(String digits) {
        try {
            Long.parseUnsignedLong(digits);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Answers.DeadLetter describe(Listed listed) {
        Map<String, String> entry = listed.entry();
        return new Answers.DeadLetter(listed.id(), entry.get(DeadLetters.SOURCE_STREAM),
                entry.get(DeadLetters.SOURCE_ID), entry.get(DeadLetters.ERROR), entry.get(DeadLetters.ERROR_CODE),
                deliveryCount(entry.get(DeadLetters.DELIVERY_COUNT)), DeadLetters.originalFields(entry));
    }

    /** Written by the store, but the stream is open to anyone with Redis access: never trusted to parse. */
    private static Integer deliveryCount(String text) {
        try {
            return text == null ? null : Integer.valueOf(text);
        } catch (NumberFormatException e) {
            return null;
        }
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
                + ", not '" + LogText.safe(limit.get()) + "'.");
    }
}
