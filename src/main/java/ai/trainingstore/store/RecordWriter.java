package ai.trainingstore.store;

import ai.trainingstore.kind.FieldType;
import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one batch of one kind with a single statement. The statement commits on its own
 * (autocommit), so when the returned Uni succeeds every record of the batch is durable.
 */
@ApplicationScoped
public class RecordWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pool pool;
    private final Map<RecordKind, String> statements = new EnumMap<>(RecordKind.class);

    public RecordWriter(Pool pool) {
        this.pool = pool;
        for (RecordKind kind : RecordKind.values()) {
            statements.put(kind, WriteStatement.sql(kind));
        }
    }

    /** Folds the records by identity, writes them and returns how many rows were inserted or changed. */
    public Uni<Integer> write(RecordKind kind, List<StoreRecord> records) {
        List<StoreRecord> folded = Fold.byIdentity(records);
        // One lock order for every writer: concurrent batches touching the same rows wait, never deadlock.
        folded.sort(Comparator.comparing(StoreRecord::identity));
        if (folded.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return pool.preparedQuery(statements.get(kind))
                .execute(bind(kind, folded))
                .map(rows -> rows.rowCount());
    }


    private static Tuple bind(RecordKind kind, List<StoreRecord> records) {
        int size = records.size();
        Tuple tuple = Tuple.tuple();
        for (int column = 0; column < kind.fields().size(); column++) {
            if (kind.fields().get(column).type() == FieldType.INTEGER) {
                Long[] values = new Long[size];
                for (int row = 0; row < size; row++) {
                    values[row] = (Long) records.get(row).values()[column];
                }
                tuple.addArrayOfLong(values);
            } else {
                String[] values = new String[size];
                for (int row = 0; row < size; row++) {
                    values[row] = (String) records.get(row).values()[column];
                }
                tuple.addArrayOfString(values);
            }
        }
        String[] attributes = new String[size];
        OffsetDateTime[] occurredAt = new OffsetDateTime[size];
        String[] entryIds = new String[size];
        for (int row = 0; row < size; row++) {
            StoreRecord record = records.get(row);
            attributes[row] = toJson(record.attributes());
            occurredAt[row] = record.occurredAt().atOffset(ZoneOffset.UTC);
            entryIds[row] = record.streamEntryId();
        }
        tuple.addArrayOfString(attributes).addArrayOfOffsetDateTime(occurredAt).addArrayOfString(entryIds);
        if (kind.merges()) {
            bindMergeState(tuple, records);
        }
        return tuple;
    }

    private static void bindMergeState(Tuple tuple, List<StoreRecord> records) {
        int size = records.size();
        OffsetDateTime[] firstOccurredAt = new OffsetDateTime[size];
        String[] versions = new String[size];
        String[] fieldVersions = new String[size];
        String[] attributeVersions = new String[size];
        for (int row = 0; row < size; row++) {
            StoreRecord record = records.get(row);
            firstOccurredAt[row] = record.firstOccurredAt().atOffset(ZoneOffset.UTC);
            versions[row] = record.version();
            StringBuilder joined = new StringBuilder();
            for (int i = 0; i < record.versions().length; i++) {
                String version = record.versions()[i];
                joined.append(i == 0 ? "" : ",").append(version == null ? "" : version);
            }
            fieldVersions[row] = joined.toString();
            attributeVersions[row] = toJson(record.attributeVersions());
        }
        tuple.addArrayOfOffsetDateTime(firstOccurredAt)
                .addArrayOfString(versions)
                .addArrayOfString(fieldVersions)
                .addArrayOfString(attributeVersions);
    }

    private static String toJson(Map<String, ?> map) {
        if (map.isEmpty()) {
            return "{}";
        }
        try {
            return JSON.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
