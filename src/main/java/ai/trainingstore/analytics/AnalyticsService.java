package ai.trainingstore.analytics;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.databind.ObjectMapper;
import ai.trainingstore.export.CsvFields;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Answers an analytics request: one query of the view's function, rows encoded as a JSON array
 * of objects or as CSV with a header row (JSON columns as compact JSON text). Daily aggregates
 * are small (days x agents or tools), so the answer is built whole, on a worker thread.
 */
@ApplicationScoped
public class AnalyticsService {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Pool pool;

    public AnalyticsService(Pool pool) {
        this.pool = pool;
    }

    public Uni<byte[]> answer(AnalyticsRequest request) {
        Tuple parameters = Tuple.of(request.from().orElse(null), request.to().orElse(null),
                request.agents().isEmpty() ? null : request.agents().toArray(String[]::new));
        return pool.preparedQuery(request.view().sql()).execute(parameters)
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .map(rows -> request.csv() ? csv(request.view().columns(), rows) : json(request.view().columns(), rows));
    }

    static byte[] json(List<AnalyticsView.Column> columns, RowSet<Row> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = MAPPER.getFactory().createGenerator(out)) {
            json.enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER.mappedFeature());
            json.writeStartArray();
            for (Row row : rows) {
                json.writeStartObject();
                for (int i = 0; i < columns.size(); i++) {
                    AnalyticsView.Column column = columns.get(i);
                    json.writeFieldName(column.name());
                    if (row.getValue(i) == null) {
                        json.writeNull();
                        continue;
                    }
                    switch (column.type()) {
                        case DAY, TEXT -> json.writeString(row.getString(i));
                        case INTEGER -> json.writeNumber(row.getLong(i));
                        case NUMBER -> json.writeNumber(row.getDouble(i));
                        case JSON -> json.writeTree(MAPPER.readTree(row.getString(i)));
                    }
                }
                json.writeEndObject();
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] csv(List<AnalyticsView.Column> columns, RowSet<Row> rows) {
        CsvFields csv = new CsvFields();
        columns.forEach(column -> csv.field(column.name()));
        csv.end();
        try {
            for (Row row : rows) {
                for (int i = 0; i < columns.size(); i++) {
                    csv.field(row.getValue(i) == null ? null : switch (columns.get(i).type()) {
                        case DAY, TEXT -> row.getString(i);
                        case INTEGER -> Long.toString(row.getLong(i));
                        case NUMBER -> DoubleToDecimal.toString(row.getDouble(i));
                        case JSON -> MAPPER.readTree(row.getString(i)).toString();
                    });
                }
                csv.end();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return csv.toByteArray();
    }
}
