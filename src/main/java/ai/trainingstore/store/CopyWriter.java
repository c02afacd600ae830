package ai.trainingstore.store;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.RecordKind;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.postgresql.copy.CopyIn;
import org.postgresql.jdbc.PgConnection;

/**
 * Writes a batch of an insert-once kind with one binary {@code COPY} in its own transaction, over
 * pgjdbc: the reactive client has no COPY (vertx-sql-client issue 153). pgjdbc blocks, so every
 * COPY runs on this class's own worker threads, never on an event loop; there are as many as
 * consumers can ask for at once (two insert-once kinds x consumers per stream), capped by the
 * JDBC pool so that a worker never waits for a connection.
 *
 * <p>A COPY is all or nothing: it is one statement in autocommit, so on any failure nothing of the
 * batch stays. A duplicate identity fails it with unique_violation (23505); the caller then writes
 * the batch with {@code ON CONFLICT DO NOTHING}. The failure is pgjdbc's {@code PSQLException}
 * with PostgreSQL's SQLSTATE, which {@link WriteFailures} classifies like the reactive client's.
 *
 * <p>A COPY that outlives the write timeout is stopped three ways: PostgreSQL's own
 * {@code statement_timeout} (set on each connection), a cancel request sent when the caller gives
 * up, and, if the worker is still blocked a grace period later (a server that no longer answers),
 * closing its socket; the pool then drops the dead connection.
 */
@Startup // the pool-size warning belongs to start-up, not to the first batch
@ApplicationScoped
public class CopyWriter {

    private static final Logger LOG = Logger.getLogger(CopyWriter.class);
    private static final String UNIQUE_VIOLATION = "23505";
    /** How long a cancelled COPY may take to give its worker back before its connection is closed. */
    static final Duration ABORT_GRACE = Duration.ofSeconds(5);

    private final AgroalDataSource dataSource;
    private final Duration statementTimeout;
    private final Map<RecordKind, String> statements = new EnumMap<>(RecordKind.class);
    private final ExecutorService workers;
    /** Physical connections whose session already has the statement timeout; weak: the pool may drop them. */
    private final Set<PgConnection> timeLimited = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** Sends cancel requests and closes stuck connections: network calls kept off the event loop too. */
    private final ScheduledExecutorService stopper;

    public CopyWriter(AgroalDataSource dataSource, StoreConfig config) {
        this.dataSource = dataSource;
        this.statementTimeout = config.delivery().writeTimeout();
        for (RecordKind kind : RecordKind.values()) {
            if (!kind.merges()) {
                statements.put(kind, BinaryCopy.sql(kind));
            }
        }
        int consumers = statements.size() * config.batch().consumersPerStream();
        int connections = dataSource.getConfiguration().connectionPoolConfiguration().maxSize();
        int workerCount = Math.max(1, Math.min(consumers, connections));
        if (config.store().copy() && connections < consumers) {
            LOG.warnf("quarkus.datasource.jdbc.max-size is %d but %d consumers may COPY at once: batches will"
                    + " wait for a connection; raise it to at least %d", connections, consumers, consumers);
        }
        this.workers = Executors.newFixedThreadPool(workerCount, named("copy-writer"));
        this.stopper = Executors.newSingleThreadScheduledExecutor(named("copy-stopper"));
    }

    /**
     * COPYs the records (folded, sorted, of an insert-once kind) and commits; emits the row count.
     * Fails with pgjdbc's exception when PostgreSQL refuses it; cancelling stops the COPY.
     */
    Uni<Integer> copy(RecordKind kind, List<StoreRecord> records) {
        String sql = statements.get(kind);
        if (sql == null) {
            throw new IllegalArgumentException(kind.id() + " merges: it is never copied");
        }
        return Uni.createFrom().emitter(emitter -> {
            CopyJob job = new CopyJob(sql, kind, records);
            Future<?> running = workers.submit(() -> {
                try {
                    emitter.complete(job.run());
                } catch (Throwable failure) {
                    emitter.fail(failure);
                }
            });
            emitter.onTermination(() -> {
                if (!job.isFinished()) {
                    // Cancelled (write timeout, shutdown): not yet started means never started.
                    running.cancel(false);
                    stopper.execute(job::stop);
                }
            });
        });
    }

    /** Connection exception (class 08), or the server shutting down or restarting (57P01..57P03). */
    private static boolean isConnectionLost(SQLException failure) {
        String state = failure.getSQLState();
        return state != null && (state.startsWith("08") || state.startsWith("57P0"));
    }

    /** Whether a COPY failed because an identity of the batch is already stored (or in the batch twice). */
    static boolean isDuplicateIdentity(Throwable failure) {
        return failure instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState());
    }

    /** After the consumers have drained (they observe shutdown first): lets a COPY still running end by itself. */
    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) {
        workers.shutdown();
        stopper.shutdown();
    }

    /** One COPY on one pooled connection, stoppable from another thread. */
    private final class CopyJob {

        private final String sql;
        private final RecordKind kind;
        private final List<StoreRecord> records;
        /** The physical connection while this job holds it; guarded by this. */
        private PgConnection holding;
        private volatile boolean stopped;
        private volatile boolean finished;

        CopyJob(String sql, RecordKind kind, List<StoreRecord> records) {
            this.sql = sql;
            this.kind = kind;
            this.records = records;
        }

        boolean isFinished() {
            return finished;
        }

        int run() throws SQLException {
            try {
                return copyAndCommit();
            } finally {
                finished = true;
            }
        }

        /**
         * One round trip: the COPY runs in autocommit, so it is its own transaction, committed when
         * PostgreSQL answers its end and rolled back whole when it fails. (BEGIN, a SET LOCAL and
         * COMMIT cost three more round trips, measured at 13 ms of a 40 ms batch on a busy machine.)
         */
        private int copyAndCommit() throws SQLException {
            BinaryCopy.Bytes input = BinaryCopy.encode(kind, records);
            boolean connectionLost = false;
            try (Connection connection = dataSource.getConnection()) {
                PgConnection physical = connection.unwrap(PgConnection.class);
                hold(physical);
                try {
                    limitStatementTime(physical);
                    CopyIn copy = physical.getCopyAPI().copyIn(sql);
                    try {
                        copy.writeToCopy(input.array(), 0, input.size());
                        return (int) copy.endCopy();
                    } finally {
                        if (copy.isActive()) {
                            copy.cancelCopy();
                        }
                    }
                } catch (SQLException failure) {
                    connectionLost = physical.isClosed() || isConnectionLost(failure);
                    throw failure;
                } finally {
                    release();
                }
            } finally {
                if (connectionLost) {
                    // PostgreSQL restarted or the connection was cut: the pool does not see errors raised
                    // below its wrapper, so have it validate its idle connections now and drop the dead
                    // ones (in the background: the consumer's back-off gives it time) rather than lend
                    // them one by one to the next batches, each failing and backing off.
                    dataSource.flush(AgroalDataSource.FlushMode.INVALID);
                }
            }
        }

        /**
         * PostgreSQL ends a COPY by itself once the write timeout is over, whatever the client does.
         * Set once per connection (its session keeps it): only the COPY writers use this pool after
         * Flyway has run at start-up.
         */
        private void limitStatementTime(PgConnection connection) throws SQLException {
            if (timeLimited.contains(connection)) {
                return;
            }
            try (PreparedStatement set = connection.prepareStatement("SELECT set_config('statement_timeout', ?, false)")) {
                set.setString(1, statementTimeout.toMillis() + "ms");
                set.execute();
            }
            timeLimited.add(connection);
        }

        private synchronized void hold(PgConnection connection) throws SQLException {
            if (stopped) {
                throw new SQLException("COPY stopped before it started (write timeout or shutdown)", "57014");
            }
            holding = connection;
        }

        private synchronized void release() {
            holding = null;
        }

        /**
         * Cancels the COPY while this job holds the connection (never one it gave back, which may
         * run someone else's statement); closes the connection if that does not free the worker.
         */
        void stop() {
            stopped = true;
            PgConnection connection;
            synchronized (this) {
                connection = holding;
                if (connection == null) {
                    return;
                }
                try {
                    connection.cancelQuery();
                } catch (SQLException e) {
                    LOG.warnf("Cancelling a COPY into %s failed: %s", kind.table(), e.getMessage());
                }
            }
            stopper.schedule(() -> abortIfStuck(connection), ABORT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void abortIfStuck(PgConnection connection) {
            synchronized (this) {
                if (holding != connection) {
                    return;
                }
            }
            LOG.warnf("A COPY into %s ignored its cancel for %s; closing its connection", kind.table(), ABORT_GRACE);
            try {
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                LOG.warnf("Closing a stuck COPY connection failed: %s", e.getMessage());
            }
            // The worker is freed with a broken-connection error; the pool must not lend that connection again.
            stopper.schedule(() -> dataSource.flush(AgroalDataSource.FlushMode.INVALID), ABORT_GRACE.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
