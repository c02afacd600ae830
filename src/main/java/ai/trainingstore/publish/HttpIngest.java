package ai.trainingstore.publish;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.record.EntryParser;
import ai.trainingstore.record.ParsedEntry;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.text.Utf8;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Records sent over HTTP take the agents' path: each is validated exactly as the consumer will
 * validate it (same JSON reading, numbers kept digit for digit), and only if all are valid are they
 * added to the kind's stream, in one MULTI/EXEC sent as one pipelined batch on one connection:
 * all are added or none, and the connection never stays inside MULTI (EXEC always ends it; a
 * command refused while queueing makes EXEC abort the whole transaction). One key, so it also
 * works on Redis Cluster.
 */
@Startup
@ApplicationScoped
public class HttpIngest {

    /** Per-record errors listed in a refusal; the count says how many there are in all. */
    static final int ERRORS_LISTED = 100;

    /** Reads one value at a time from a parser positioned on it (more values may follow). */
    private static final ObjectReader VALUE = EntryParser.JSON.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final ReactiveRedisDataSource redis;
    private final EntryParser parser;
    private final StoreConfig config;

    public HttpIngest(ReactiveRedisDataSource redis, EntryParser parser, StoreConfig config,
                      @ConfigProperty(name = "quarkus.redis.max-waiting-handlers", defaultValue = "2048")
                      int redisMaxWaiting) {
        this.redis = redis;
        this.parser = parser;
        this.config = config;
        if (config.ingest().maxRecords() + 2 > redisMaxWaiting) {
            throw new IllegalStateException("training-store.ingest.max-records (" + config.ingest().maxRecords()
                    + ") + 2 must not exceed quarkus.redis.max-waiting-handlers (" + redisMaxWaiting
                    + "): one request's MULTI/EXEC is one pipelined batch. Raise the latter or lower the former.");
        }
    }

    /** One record the request cannot have: its position (from 0) and why. */
    public record RecordError(int index, String error) {
    }

    public static final class InvalidRecordsException extends RuntimeException {
        private final List<RecordError> errors;

        InvalidRecordsException(List<RecordError> errors, int invalid, int records) {
            super(invalid + " of " + records + " records are invalid, so none was added"
                    + (invalid > errors.size() ? " (the first " + errors.size() + " are listed)" : "")
                    + ": fix them and send the request again.", null, false, false);
            this.errors = errors;
        }

        public List<RecordError> errors() {
            return errors;
        }
    }

    /** Thrown for a body that is not JSON records at all; the message says what is expected. */
    public static final class UnreadableBodyException extends RuntimeException {
        UnreadableBodyException(String message) {
            super(message, null, false, false);
        }
    }

    /** Thrown for a request with more records than one MULTI/EXEC may carry; answered with 413. */
    public static final class TooManyRecordsException extends RuntimeException {
        TooManyRecordsException(String message) {
            super(message, null, false, false);
        }
    }

    /** Validates every record of the body, then adds them all; returns their entry ids, in order. */
    public Uni<List<String>> ingest(RecordKind kind, byte[] body) {
        String stream = config.streams().of(kind);
        List<String> documents = validDocuments(kind, stream, utf8(body));
        return append(stream, documents);
    }

    private List<String> validDocuments(RecordKind kind, String stream, String body) {
        // A provisional entry id: validation does not depend on it (it only fills defaults).
        String provisionalId = System.currentTimeMillis() + "-0";
        List<String> documents = new ArrayList<>();
        List<RecordError> errors = new ArrayList<>();
        int[] invalid = {0};
        int records = forEachRecord(body, (index, record) -> {
            if (index >= config.ingest().maxRecords()) {
                throw new TooManyRecordsException("The request holds more than " + config.ingest().maxRecords()
                        + " records (training-store.ingest.max-records): send them in several requests.");
            }
            String error;
            if (record.isObject()) {
                String document = record.toString();
                ParsedEntry parsed = parser.parse(kind, stream, provisionalId, Map.of(EntryParser.DATA_FIELD, document));
                if (parsed.isAccepted()) {
                    documents.add(document);
                    return;
                }
                error = parsed.rejection().message();
            } else {
                error = "Record " + index + " must be a JSON object, not " + describe(record) + ".";
            }
            if (invalid[0]++ < ERRORS_LISTED) {
                errors.add(new RecordError(index, error));
            }
        });
        if (records == 0) {
            throw new UnreadableBodyException("The body holds no record: send a JSON object, a JSON array of"
                    + " objects, or one JSON object per line (NDJSON).");
        }
        if (invalid[0] > 0) {
            throw new InvalidRecordsException(errors, invalid[0], records);
        }
        return documents;
    }

    private interface RecordVisitor {
        void accept(int index, JsonNode record);
    }

    /**
     * A JSON object, a JSON array whose elements are the records, or NDJSON (values separated by
     * whitespace). Read one record at a time, so memory follows the records, not a whole tree.
     * Returns how many records there were.
     */
    private static int forEachRecord(String body, RecordVisitor visitor) {
        int count = 0;
        try (JsonParser json = EntryParser.JSON.getFactory().createParser(body)) {
            JsonToken token = json.nextToken();
            if (token == JsonToken.START_ARRAY) {
                while ((token = json.nextToken()) != JsonToken.END_ARRAY) {
                    if (token == null) {
                        throw new UnreadableBodyException("The body's JSON array is not closed: end it with ']'.");
                    }
                    visitor.accept(count++, VALUE.readTree(json));
                }
                if (json.nextToken() != null) {
                    throw new UnreadableBodyException("Text follows the body's JSON array: send one array of"
                            + " records, or one JSON object per line (NDJSON), not both.");
                }
                return count;
            }
            for (; token != null; token = json.nextToken()) {
                visitor.accept(count++, VALUE.readTree(json));
            }
            return count;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new UnreadableBodyException("The body is not valid JSON (" + e.getOriginalMessage().lines()
                    .findFirst().orElse("") + where + "): send a JSON object, an array of objects, or NDJSON.");
        } catch (IOException e) {
            throw new UnreadableBodyException("The body could not be read: " + e.getMessage());
        }
    }

    private static String utf8(byte[] body) {
        String text = Utf8.decodeStrictly(body);
        if (text == null) {
            throw new UnreadableBodyException("The body is not valid UTF-8: send JSON encoded as UTF-8.");
        }
        return text;
    }

    /** MULTI, one XADD per record, EXEC: one batch, one round trip, one connection. */
    private Uni<List<String>> append(String stream, List<String> documents) {
        List<Request> commands = new ArrayList<>(documents.size() + 2);
        commands.add(Request.cmd(Command.MULTI));
        for (String document : documents) {
            commands.add(Request.cmd(Command.XADD).arg(stream).arg("*").arg(EntryParser.DATA_FIELD).arg(document));
        }
        commands.add(Request.cmd(Command.EXEC));
        return redis.getRedis().batch(commands).map(replies -> {
            Response added = replies.get(replies.size() - 1);
            List<String> ids = new ArrayList<>(added.size());
            for (int i = 0; i < added.size(); i++) {
                ids.add(added.get(i).toString());
            }
            return ids;
        });
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array (an array of records may not hold arrays)";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }
}
