package ai.trainingstore.publish;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.ingest.EntryParser;
import ai.trainingstore.ingest.ParsedEntry;
import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records sent over HTTP take the agents' path: each is validated exactly as the consumer will
 * validate it, and only if all are valid are they added to the kind's stream, in one MULTI/EXEC
 * (one key, so it also works on Redis Cluster): all are added or none.
 */
@ApplicationScoped
public class HttpIngest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReactiveRedisDataSource redis;
    private final EntryParser parser;
    private final StoreConfig config;

    public HttpIngest(ReactiveRedisDataSource redis, EntryParser parser, StoreConfig config) {
        this.redis = redis;
        this.parser = parser;
        this.config = config;
    }

    /** One record the request cannot have: its position (from 0) and why. */
    public record RecordError(int index, String error) {
    }

    public static final class InvalidRecordsException extends RuntimeException {
        private final List<RecordError> errors;
        private final int records;

        InvalidRecordsException(List<RecordError> errors, int records) {
            super(errors.size() + " of " + records + " records are invalid, so none was added: fix them and send"
                    + " the request again.", null, false, false);
            this.errors = errors;
            this.records = records;
        }

        public List<RecordError> errors() {
            return errors;
        }

        public int records() {
            return records;
        }
    }

    /** Thrown for a body that is not JSON records at all; the message says what is expected. */
    public static final class UnreadableBodyException extends RuntimeException {
        UnreadableBodyException(String message) {
            super(message, null, false, false);
        }
    }

    /** Validates every record of the body, then adds them all; returns their entry ids, in order. */
    public Uni<List<String>> ingest(RecordKind kind, String body) {
        List<JsonNode> records = records(body);
        String stream = config.streams().of(kind);
        List<RecordError> errors = new ArrayList<>();
        List<Map<String, String>> entries = new ArrayList<>();
        // A provisional entry id: validation does not depend on it (it only fills defaults).
        String provisionalId = System.currentTimeMillis() + "-0";
        for (int i = 0; i < records.size(); i++) {
            JsonNode record = records.get(i);
            if (!record.isObject()) {
                errors.add(new RecordError(i, "Record " + i + " must be a JSON object, not " + record.getNodeType()
                        .name().toLowerCase(java.util.Locale.ROOT) + "."));
                continue;
            }
            Map<String, String> entry = Map.of(EntryParser.DATA_FIELD, record.toString());
            ParsedEntry parsed = parser.parse(kind, stream, provisionalId, entry);
            if (parsed.isAccepted()) {
                entries.add(entry);
            } else {
                errors.add(new RecordError(i, parsed.rejection().message()));
            }
        }
        if (records.isEmpty()) {
            throw new UnreadableBodyException("The body holds no record: send a JSON object, a JSON array of"
                    + " objects, or one JSON object per line (NDJSON).");
        }
        if (!errors.isEmpty()) {
            throw new InvalidRecordsException(errors, records.size());
        }
        return redis.withTransaction(transaction -> {
            var streams = transaction.stream(String.class, String.class, String.class);
            Uni<Void> queued = Uni.createFrom().voidItem();
            for (Map<String, String> entry : entries) {
                queued = queued.chain(() -> streams.xadd(stream, entry));
            }
            return queued;
        }).map(result -> {
            List<String> ids = new ArrayList<>(result.size());
            for (int i = 0; i < result.size(); i++) {
                ids.add(result.get(i));
            }
            return ids;
        });
    }

    /** A JSON object, a JSON array of them, or NDJSON (values separated by newlines). */
    private static List<JsonNode> records(String body) {
        List<JsonNode> values = new ArrayList<>();
        try (MappingIterator<JsonNode> iterator = JSON.readerFor(JsonNode.class).readValues(body)) {
            while (iterator.hasNextValue()) {
                values.add(iterator.nextValue());
            }
        } catch (JsonProcessingException e) {
            throw new UnreadableBodyException("The body is not valid JSON (" + e.getOriginalMessage().lines()
                    .findFirst().orElse("") + " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + "): send a JSON object, an array of objects, or NDJSON.");
        } catch (IOException e) {
            throw new UnreadableBodyException("The body could not be read: " + e.getMessage());
        }
        if (values.size() == 1 && values.get(0).isArray()) {
            List<JsonNode> elements = new ArrayList<>();
            values.get(0).forEach(elements::add);
            return elements;
        }
        return values;
    }
}
