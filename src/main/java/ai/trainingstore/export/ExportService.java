package ai.trainingstore.export;

import ai.trainingstore.kind.Column;

import ai.trainingstore.config.StoreConfig;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import ai.trainingstore.text.LogText;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.jboss.logging.Logger;

/**
 * Streams the rows of an export from a server-side cursor. The cursor lives in a read-only
 * transaction on one connection; rows are fetched only as the client's socket takes the bytes
 * (each chunk is requested when the previous one is written), so memory stays flat however large
 * the export and however slow the client. When the client hangs up, the stream is cancelled, the
 * transaction rolled back and the connection returned to the pool at once.
 */
@ApplicationScoped
public class ExportService {

    private static final Logger LOG = Logger.getLogger(ExportService.class);

    private final Pool pool;
    private final StoreConfig.Export config;
    private final Semaphore running;

    public ExportService(Pool pool, StoreConfig config) {
        this.pool = pool;
        this.config = config.export();
        this.running = new Semaphore(this.config.maxConcurrent());
    }

    /** Thrown when the concurrent export cap is reached; answered with 429. */
    public static final class TooManyExportsException extends RuntimeException {
        TooManyExportsException(String message) {
            super(message, null, false, false);
        }
    }

    private record Session(SqlConnection connection, Transaction transaction) {
    }

    /**
     * The bytes of the export. The request is fully validated and its query built before this is
     * called; the export slot is taken only when the stream is subscribed and given back when it
     * ends, fails or is cancelled, so a stream that is never subscribed holds nothing.
     */
    public Multi<Buffer> export(ExportRequest request) {
        List<Column> columns = request.kind().exportedColumns();
        ExportQuery query = ExportQuery.of(request, columns);
        return Multi.createFrom().deferred(() -> {
            if (!running.tryAcquire()) {
                throw new TooManyExportsException(config.maxConcurrent() + " exports are running, the most"
                        + " allowed (training-store.export.max-concurrent); retry when one has finished.");
            }
            try {
                return body(request, query, columns).onTermination().invoke(running::release);
            } catch (RuntimeException e) {
                running.release();
                throw e;
            }
        });
    }

    private Multi<Buffer> body(ExportRequest request, ExportQuery query, List<Column> columns) {
        RowEncoder encoder = RowEncoder.of(request.format(), columns);
        Multi<byte[]> body = encoded(query, encoder);
        if (request.gzip()) {
            GzipChunks gzip = new GzipChunks();
            body = Multi.createBy().concatenating().streams(body.map(gzip::compress),
                    Multi.createFrom().item(gzip::finish));
        }
        return body
                .select().where(bytes -> bytes.length > 0)
                .map(Buffer::buffer)
                .onFailure().invoke(failure -> LOG.warnf("Export of %s failed; if it had started, the connection is"
                        + " closed without the final chunk so the client sees it cut: %s", request.kind().id(),
                        LogText.safe(failure.getMessage())));
    }

    /**
     * The header, then the rows chunk by chunk. The header comes only once the query is prepared,
     * so a query PostgreSQL refuses fails the request before its first byte.
     */
    private Multi<byte[]> encoded(ExportQuery query, RowEncoder encoder) {
        return Multi.createFrom().resourceFromUni(this::openSession,
                        session -> session.connection().prepare(query.sql())
                                .onItem().transformToMulti(statement -> Multi.createBy().concatenating().streams(
                                        Multi.createFrom().item(encoder::header),
                                        statement.createStream(config.rowsPerChunk(), query.parameters())
                                                .toMulti()
                                                .group().intoLists().of(config.rowsPerChunk())
                                                .map(encoder::encode))))
                .withFinalizer(this::closeSession);
    }

    private Uni<Session> openSession() {
        return pool.getConnection().chain(connection -> connection.begin()
                .map(transaction -> new Session(connection, transaction))
                .onFailure().call(connection::close));
    }

    /** Read-only: rolling back is the cheapest way to end the transaction, whatever happened. */
    private Uni<Void> closeSession(Session session) {
        return session.transaction().rollback()
                .onFailure().recoverWithNull()
                .eventually(() -> session.connection().close());
    }
}
