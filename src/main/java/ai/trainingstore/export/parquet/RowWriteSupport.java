package ai.trainingstore.export.parquet;

import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.kind.Column;
import ai.trainingstore.redact.Redaction;
import io.vertx.mutiny.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * Writes export rows (the columns of {@link ai.trainingstore.export.ExportQuery}, JSON selected as
 * its text) as Parquet records with the contract's types: text as UTF-8 strings, JSON as strings
 * of compact JSON with the JSON logical type, integers INT64, numbers DOUBLE, timestamps
 * TIMESTAMP(MICROS, adjusted to UTC). Every column is optional: a null is simply not written.
 */
final class RowWriteSupport extends WriteSupport<Row> {

    private final List<Column> columns;
    private final MessageType schema;
    private final Redaction redaction;
    private RecordConsumer consumer;

    RowWriteSupport(String kind, List<Column> columns, Redaction redaction) {
        this.columns = columns;
        this.schema = schema(kind, columns);
        this.redaction = redaction;
    }

    static MessageType schema(String kind, List<Column> columns) {
        Types.MessageTypeBuilder message = Types.buildMessage();
        for (Column column : columns) {
            switch (column.type()) {
                case TEXT -> message.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType())
                        .named(column.name());
                case JSON, JSON_ARRAY -> message.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.jsonType())
                        .named(column.name());
                case INTEGER -> message.optional(PrimitiveTypeName.INT64).named(column.name());
                case NUMBER -> message.optional(PrimitiveTypeName.DOUBLE).named(column.name());
                case TIMESTAMP -> message.optional(PrimitiveTypeName.INT64)
                        .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS))
                        .named(column.name());
                case VERSIONS -> throw new IllegalStateException("merge state is never exported");
            }
        }
        return message.named(kind);
    }

    /** The Hadoop variant is never called: the writer is built with a ParquetConfiguration. */
    @Override
    public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
        return context();
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
        return context();
    }

    private WriteContext context() {
        return new WriteContext(schema, Map.of());
    }

    @Override
    public String getName() {
        return "training-store";
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        this.consumer = recordConsumer;
    }

    @Override
    public void write(Row row) {
        consumer.startMessage();
        for (int i = 0; i < columns.size(); i++) {
            if (row.getValue(i) == null) {
                continue;
            }
            Column column = columns.get(i);
            consumer.startField(column.name(), i);
            switch (column.type()) {
                case TEXT -> consumer.addBinary(Binary.fromString(text(column, row.getString(i))));
                case JSON, JSON_ARRAY -> consumer.addBinary(Binary.fromString(
                        text(column, RowEncoder.compactJsonb(row.getString(i)))));
                case INTEGER -> consumer.addLong(row.getLong(i));
                case NUMBER -> consumer.addDouble(row.getDouble(i));
                case TIMESTAMP -> consumer.addLong(micros(row.getOffsetDateTime(i)));
                case VERSIONS -> throw new IllegalStateException("merge state is never exported");
            }
            consumer.endField(column.name(), i);
        }
        consumer.endMessage();
    }

    /**
     * Every text and JSON value of a row passes here on its way into the file (JSON already
     * compact): redacted as the row exports redact it.
     */
    private String text(Column column, String value) {
        return redaction.column(column, value);
    }

    /** Microseconds since the epoch, UTC: PostgreSQL's own precision, so nothing is rounded. */
    static long micros(OffsetDateTime value) {
        return Math.addExact(Math.multiplyExact(value.toEpochSecond(), 1_000_000L), value.getNano() / 1_000);
    }
}
