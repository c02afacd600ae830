package ai.trainingstore.analytics;

import ai.trainingstore.store.ReadPool;
import ai.trainingstore.store.ReadSnapshot;
import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.export.CsvFields;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.text.LogText;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.jboss.logging.Logger;

/**
 * Answers an analytics request as a stream: the rows of the view's function from a cursor, a
 * chunk at a time as the client takes the bytes, encoded on a worker thread as a JSON array of
 * objects or as CSV with a header row (JSON columns as compact JSON text). Memory stays flat
 * whatever the range. Before the first byte, within the same snapshot: at most
 * {@code analytics.max-concurrent} answers at once (one more is refused, 429), and a range of more
 * than {@code analytics.max-rows} rows is refused (400, narrow the range), never cut silently. A
 * failure after the first byte closes the connection without the final chunk, so the JSON array
 * is left unclosed and the client sees the answer cut.
 */
@ApplicationScoped
public class AnalyticsService {

    private static final Logger LOG = Logger.getLogger(AnalyticsService.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Rows fetched from the cursor and encoded at a time; the views' rows are small (keys and numbers). */
    static final int ROWS_PER_CHUNK = 500;

    private final ReadPool reads;
    private final StoreConfig.Analytics config;
    private final Semaphore running;

    public AnalyticsService(ReadPool reads, StoreConfig config) {
        this.reads = reads;
        this.config = config.analytics();
        this.running = new Semaphore(this.config.maxConcurrent());
    }

    /** Thrown when analytics.max-concurrent answers are running; answered with 429. */
    public static final class TooManyAnalyticsException extends RuntimeException {
        TooManyAnalyticsException(String message) {
            super(message, null, false, false);
        }
    }


    /** The answer's bytes; the slot is taken when the stream is subscribed and given back when it ends. */
    public Multi<Buffer> answer(AnalyticsRequest request) {
        return Multi.createFrom().deferred(() -> {
            reads.requireAvailable();
            if (!running.tryAcquire()) {
                throw new TooManyAnalyticsException(config.maxConcurrent() + " analytics requests are running, the most"
                        + " allowed (training-store.analytics.max-concurrent); retry when one has finished.");
            }
            return ReadSnapshot.reading(reads, session -> rows(session.connection(), request))
                    .onFailure().invoke(failure -> {
                        if (!(failure instanceof InvalidExportException)) {
                            LOG.warnf("Analytics %s failed; if it had started, the connection is closed without the"
                                    + " final chunk so the client sees it cut: %s", request.view().id(),
                                    LogText.safe(failure.getMessage()));
                        }
                    })
                    .onTermination().invoke(running::release);
        });
    }

    private Multi<Buffer> rows(SqlConnection connection, AnalyticsRequest request) {
        Object from = request.from().orElse(null);
        Object to = request.to().orElse(null);
        Object agents = request.agents().isEmpty() ? null : request.agents().toArray(String[]::new);
        Tuple parameters = Tuple.of(from, to, agents);
        Encoder encoder = request.csv() ? new Csv(request.view().columns()) : new Json(request.view().columns());
        return connection.preparedQuery(request.view().countSql())
                .execute(Tuple.of(from, to, agents, config.maxRows() + 1L))
                .invoke(count -> requireWithinCap(count.iterator().next().getLong(0), request))
                .chain(count -> connection.prepare(request.view().sql()))
                .onItem().transformToMulti(statement -> Multi.createBy().concatenating().streams(
                        Multi.createFrom().item(encoder::start),
                        statement.createStream(ROWS_PER_CHUNK, parameters).toMulti()
                                .group().intoLists().of(ROWS_PER_CHUNK)
                                // Encoding on a worker, never the event loop that runs the cursor; bounded.
                                .emitOn(Infrastructure.getDefaultWorkerPool(), 2)
                                .map(encoder::rows),
                        Multi.createFrom().item(encoder::end)))
                .select().where(bytes -> bytes.length > 0)
                .map(Buffer::buffer);
    }

    private void requireWithinCap(long rows, AnalyticsRequest request) {
        if (rows > config.maxRows()) {
            throw new InvalidExportException(request.view().id() + " has more than " + config.maxRows() + " rows in"
                    + " this range, the most one answer holds (training-store.analytics.max-rows): narrow the range"
                    + " with from and to, or filter with agent_id.");
        }
    }

    /** The answer's format, chunk by chunk. */
    private interface Encoder {
        byte[] start();

        byte[] rows(List<Row> rows);

        byte[] end();
    }

    /** A JSON array of row objects; one per request (it remembers whether a row was written). */
    private static final class Json implements Encoder {
        private final List<AnalyticsView.Column> columns;
        private boolean first = true;

        Json(List<AnalyticsView.Column> columns) {
            this.columns = columns;
        }

        @Override
        public byte[] start() {
            return "[".getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] rows(List<Row> rows) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator json = MAPPER.getFactory().createGenerator(out)) {
                json.enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER.mappedFeature());
                for (Row row : rows) {
                    if (!first) {
                        json.writeRaw(',');
                    }
                    first = false;
                    writeObject(json, row);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }

        private void writeObject(JsonGenerator json, Row row) throws IOException {
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
            // Objects written one after another at the top level: the generator adds no separator of its own.
            json.flush();
        }

        @Override
        public byte[] end() {
            return "]".getBytes(StandardCharsets.UTF_8);
        }
    }

    /** CSV with a header row. */
    private static final class Csv implements Encoder {
        private final List<AnalyticsView.Column> columns;

        Csv(List<AnalyticsView.Column> columns) {
            this.columns = columns;
        }

        @Override
        public byte[] start() {
            CsvFields csv = new CsvFields();
            columns.forEach(column -> csv.field(column.name()));
            csv.end();
            return csv.toByteArray();
        }

        @Override
        public byte[] rows(List<Row> rows) {
            CsvFields csv = new CsvFields();
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

        @Override
        public byte[] end() {
            return new byte[0];
        }
    }
}
