package ai.trainingstore.api;

import ai.trainingstore.deadletter.DeadLetterReader.Listed;
import ai.trainingstore.deadletter.DeadLetterReader.Page;
import ai.trainingstore.deadletter.DeadLetterReader.Shown;
import ai.trainingstore.deadletter.DeadLetterReplay;
import ai.trainingstore.deadletter.DeadLetterReplay.Outcome;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.record.EntryParser;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.text.LogText;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Lists dead letters (scope {@code export}) and replays them (scope {@code ingest}). The listing
 * shows names and values cut to {@code training-store.memory.dead-letter-field-bytes} (see
 * {@link ai.trainingstore.deadletter.DeadLetterReader}), redacted as the request's {@code redact}
 * and the operator's {@code training-store.redaction.always} say: error texts as text, field
 * values as JSON string values under their field's name.
 */
@Path("/api/v1/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    private static final int DEFAULT_LIMIT = 100;
    /** Nothing comes after it (and Redis refuses an exclusive range starting there). */
    private static final String MAX_STREAM_ID = "18446744073709551615-18446744073709551615";
    private static final Set<String> LIST_PARAMETERS = Set.of("after", "limit", "redact");
    private static final Set<String> SINGLE_PARAMETERS = Set.of("after", "limit");

    private final DeadLetterReplay deadLetters;
    private final RedactionPolicy redaction;

    public DeadLetterResource(DeadLetterReplay deadLetters, RedactionPolicy redaction) {
        this.deadLetters = deadLetters;
        this.redaction = redaction;
    }

    /**
     * {@code ?after=<dead letter id>&limit=<1..1000>&redact=<classes>}; {@code next_after} pages on
     * (a page may end before {@code limit} when it reaches its bytes).
     */
    @GET
    @RolesAllowed(ApiTokens.EXPORT)
    public Uni<Answers.DeadLetterPage> list(@Context UriInfo uri) {
        Map<String, List<String>> query = uri.getQueryParameters();
        query.keySet().stream().filter(name -> !LIST_PARAMETERS.contains(name)).findFirst().ifPresent(name -> {
            throw ApiErrors.badRequest("Unknown parameter '" + LogText.safe(name) + "': use after=<dead letter id>, limit=<1.."
                    + DeadLetterReplay.PAGE + "> and redact=email,phone,ip,card,secret|all.");
        });
        SINGLE_PARAMETERS.stream().filter(name -> query.getOrDefault(name, List.of()).size() > 1).findFirst()
                .ifPresent(name -> {
                    throw ApiErrors.badRequest("'" + name + "' is given more than once; give it once.");
                });
        int limit = parseLimit(query.getOrDefault("limit", List.of()).stream().findFirst());
        Optional<String> after = query.getOrDefault("after", List.of()).stream().findFirst();
        after.filter(id -> !isStreamId(id)).ifPresent(id -> {
            throw ApiErrors.badRequest("'after' must be a dead letter id such as 1732430832123-0, not '"
                    + LogText.safe(id) + "'.");
        });
        Redaction redact = redaction.effective(parseRedaction(query.getOrDefault("redact", List.of())));
        Uni<Page> listed = after.filter(MAX_STREAM_ID::equals).isPresent()
                ? Uni.createFrom().item(new Page(List.of(), false)) : deadLetters.list(after, limit);
        if (!redact.isNone()) {
            listed = listed.emitOn(Infrastructure.getDefaultWorkerPool()); // redaction is CPU work
        }
        return listed.map(page -> {
            List<Listed> entries = page.entries();
            boolean last = entries.isEmpty() || (entries.size() < limit && !page.more());
            return new Answers.DeadLetterPage(entries.stream().map(entry -> describe(entry, redact)).toList(),
                    last ? null : entries.get(entries.size() - 1).id());
        });
    }

    private static Redaction parseRedaction(List<String> values) {
        Redaction requested = Redaction.none();
        for (String value : values) {
            try {
                requested = requested.with(Redaction.parse(value));
            } catch (IllegalArgumentException e) {
                throw ApiErrors.badRequest("'redact': " + e.getMessage());
            }
        }
        return requested;
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

    /**
     * A dead letter as answered: cut names and values followed by their marker; the error text and
     * the original fields' values redacted (identities, codes and counts are kept).
     */
    private static Answers.DeadLetter describe(Listed listed, Redaction redact) {
        Map<String, String> own = new HashMap<>();
        Map<String, String> fields = new LinkedHashMap<>();
        Map<String, Long> cut = new LinkedHashMap<>();
        for (Map.Entry<Shown, Shown> field : listed.fields()) {
            String name = field.getKey().marked(UnaryOperator.identity());
            Shown value = field.getValue();
            String originalName = DeadLetters.originalName(name);
            if (originalName == null) {
                own.put(name, value.marked(name.equals(DeadLetters.ERROR) ? redact::text : UnaryOperator.identity()));
                continue;
            }
            fields.put(originalName, value.marked(text -> redact.value(originalName, text)));
            if (value.isCut()) {
                cut.put(originalName, value.bytes());
            }
        }
        return new Answers.DeadLetter(listed.id(), own.get(DeadLetters.SOURCE_STREAM), own.get(DeadLetters.SOURCE_ID),
                own.get(DeadLetters.ERROR), own.get(DeadLetters.ERROR_CODE),
                deliveryCount(own.get(DeadLetters.DELIVERY_COUNT)), fields, cut);
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
