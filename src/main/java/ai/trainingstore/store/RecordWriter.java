package ai.trainingstore.store;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.record.DecodedRecord;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one batch of one kind in one transaction, so when the returned Uni succeeds every record
 * of the batch is durable. Merged kinds, and every kind when {@code training-store.store.copy} is
 * false, use the set-based statement on the reactive client (autocommit). Insert-once kinds use a
 * binary COPY ({@link CopyWriter}); a batch holding an identity already stored makes the COPY fail
 * as a whole (23505: a redelivery, a replay, another replica) and is then written with the
 * statement, whose {@code ON CONFLICT DO NOTHING} keeps the stored row.
 */
@Startup // its fallback counters exist from start-up, at 0, like every other series
@ApplicationScoped
public class RecordWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pool pool;
    private final CopyWriter copyWriter;
    private final boolean copy;
    private final Map<RecordKind, String> statements = new EnumMap<>(RecordKind.class);
    private final Map<RecordKind, Counter> copyFallbacks = new EnumMap<>(RecordKind.class);

    public RecordWriter(Pool pool, CopyWriter copyWriter, StoreConfig config, MeterRegistry registry) {
        this.pool = pool;
        this.copyWriter = copyWriter;
        this.copy = config.store().copy();
        for (RecordKind kind : RecordKind.values()) {
            statements.put(kind, WriteStatement.sql(kind));
            if (!kind.merges()) {
                copyFallbacks.put(kind, Counter.builder("training_store_copy_fallbacks")
                        .description("Batches whose COPY met an identity already stored and were written with"
                                + " INSERT ... ON CONFLICT DO NOTHING instead")
                        .tag("kind", kind.id()).register(registry));
            }
        }
    }

    /** Folds the records by identity, writes them and returns how many rows were inserted or changed. */
    public Uni<Integer> write(RecordKind kind, List<DecodedRecord> records) {
        List<StoreRecord> folded = Fold.byIdentity(records.stream().map(StoreRecord::of).toList());
        // One lock order for every writer: concurrent batches touching the same rows wait, never deadlock.
        folded.sort(Comparator.comparing(StoreRecord::identity));
        if (folded.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        if (!copy || kind.merges()) {
            return insert(kind, folded);
        }
        return copyWriter.copy(kind, folded)
                .onFailure(CopyWriter::isDuplicateIdentity).recoverWithUni(duplicate -> {
                    copyFallbacks.get(kind).increment();
                    return insert(kind, folded);
                });
    }

    private Uni<Integer> insert(RecordKind kind, List<StoreRecord> folded) {
        return pool.preparedQuery(statements.get(kind))
                .execute(bind(kind, folded))
                .map(rows -> rows.rowCount());
    }

    /** One array per written column of the kind, in the statement's parameter order. */
    static Tuple bind(RecordKind kind, List<StoreRecord> records) {
        Tuple tuple = Tuple.tuple();
        int size = records.size();
        for (Column column : kind.writtenColumns()) {
            int field = kind.indexOf(column.name());
            Object[] values = new Object[size];
            for (int row = 0; row < size; row++) {
                values[row] = valueOf(column, field, records.get(row));
            }
            switch (column.type()) {
                case INTEGER -> tuple.addArrayOfLong(Arrays.copyOf(values, size, Long[].class));
                case NUMBER -> tuple.addArrayOfDouble(Arrays.copyOf(values, size, Double[].class));
                case TIMESTAMP -> tuple.addArrayOfOffsetDateTime(Arrays.stream(values)
                        .map(instant -> ((Instant) instant).atOffset(ZoneOffset.UTC)).toArray(OffsetDateTime[]::new));
                case TEXT, JSON, JSON_ARRAY, VERSIONS -> tuple.addArrayOfString(Arrays.copyOf(values, size, String[].class));
            }
        }
        return tuple;
    }

    /**
     * A record's value for one column: its field value, or the shared column or merge state it
     * carries. The statement binds it and {@link BinaryCopy} encodes it, so both store the same.
     * Timestamps are {@code Instant}s: each binder converts them its own way (an OffsetDateTime
     * and back cost the COPY path 4% of the JVM's ingest time).
     */
    static Object valueOf(Column column, int field, StoreRecord record) {
        return switch (column.role()) {
            case FIELD -> record.values()[field];
            case ATTRIBUTES -> toJson(record.attributes());
            case OCCURRED_AT -> record.occurredAt();
            case FIRST_OCCURRED_AT -> record.firstOccurredAt();
            case STREAM_ENTRY_ID -> record.streamEntryId();
            case VERSION -> record.version();
            case FIELD_VERSIONS -> joined(record.versions());
            case ATTRIBUTE_VERSIONS -> toJson(record.attributeVersions());
            case INGESTED_AT -> throw new IllegalStateException("ingested_at is set by PostgreSQL");
        };
    }

    private static String joined(String[] versions) {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < versions.length; i++) {
            joined.append(i == 0 ? "" : ",").append(versions[i] == null ? "" : versions[i]);
        }
        return joined.toString();
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
