package ai.trainingstore.store;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.config.StoreConfig.Read.WhenUnavailable;
import ai.trainingstore.text.LogText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.sqlclient.PoolOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The one place readers get their PostgreSQL connections from: exports, datasets, version builds,
 * analytics and the stats' counts. Without {@code training-store.read.url} it is the primary's pool
 * and nothing else changes. With it, reads go to the replica while it answers and its replay lag
 * is within {@code max-lag}; otherwise to the primary (or they are refused with 503, as
 * {@code when-unavailable} says). A periodic probe measures the lag and moves reads back to the
 * replica by itself. Writes, the merge, retention and advisory locks never come here.
 *
 * <p>A resume cursor ({@code after}) is a key, not a position in a result: a replica behind the
 * primary can only lack rows not yet replayed; it never skips or repeats rows before the cursor.
 */
@ApplicationScoped
public class ReadPool {

    private static final Logger LOG = Logger.getLogger(ReadPool.class);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    /** Replay position and lag in one round trip; the primary's current WAL position is the parameter. */
    private static final String REPLAY = "SELECT pg_is_in_recovery() AS in_recovery,"
            + " pg_last_wal_replay_lsn()::text AS replay_lsn, pg_last_xact_replay_timestamp() AS replay_at,"
            + " greatest(pg_wal_lsn_diff($1::text::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint AS lag_bytes,"
            + " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS since_replayed_commit";

    /** The application_name of the connections to the replica. */
    public static final String APPLICATION_NAME = "training-store-read";

    /** Where reads go now. */
    public enum Target { PRIMARY, REPLICA }

    /** What the last probe saw; {@code reason} says why reads left the replica (null while they use it). */
    public record Status(boolean up, long lagBytes, double lagSeconds, String replayLsn, OffsetDateTime replayAt,
                         String reason) {
        static final Status UNKNOWN = new Status(false, -1, -1, null, null, "not probed yet");
    }

    /** The replica's replay position when a read started there (a version manifest's {@code source}). */
    public record Position(boolean replica, String replayLsn, OffsetDateTime replayAt) {
        static final Position PRIMARY = new Position(false, null, null);
    }

    /** Reads are refused: the replica is down or too far behind and when-unavailable is reject (503). */
    public static final class ReplicaUnavailableException extends RuntimeException {
        private final long retryAfterSeconds;

        ReplicaUnavailableException(String message, Duration retryAfter) {
            super(message, null, false, false);
            this.retryAfterSeconds = Math.max(1, retryAfter.toSeconds());
        }

        /** The next probe: the earliest moment the replica may be back. */
        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    private final Pool primary;
    private final Pool replica;
    private final StoreConfig.Read config;
    private final Vertx vertx;
    private final AtomicReference<Status> status = new AtomicReference<>(Status.UNKNOWN);
    private final ReplayLag lag = new ReplayLag();
    private final Counter fallbacks;
    private long timerId = -1;

    public ReadPool(Pool primary, StoreConfig config, Vertx vertx, MeterRegistry registry,
                    @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
                    @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.primary = primary;
        this.config = config.read();
        this.vertx = vertx;
        this.replica = this.config.url().map(url -> replicaPool(url, username, password)).orElse(null);
        this.fallbacks = Counter.builder("training_store_read_fallbacks")
                .description("Times reads left the read replica (down or lagging past training-store.read.max-lag)")
                .register(registry);
        if (replica != null) {
            Gauge.builder("training_store_read_fallback", this, pool -> pool.target() == Target.REPLICA ? 0 : 1)
                    .description("1 while reads meant for the replica go to the primary or are refused, else 0")
                    .register(registry);
            Gauge.builder("training_store_read_replica_lag_seconds", status, s -> s.get().lagSeconds())
                    .description("Replay lag of the read replica in seconds (-1 while it does not answer)")
                    .baseUnit("seconds").register(registry);
            Gauge.builder("training_store_read_replica_lag_bytes", status, s -> s.get().lagBytes())
                    .description("WAL bytes the read replica has not replayed yet (-1 while it does not answer)")
                    .baseUnit("bytes").register(registry);
        }
    }

    private Pool replicaPool(String url, Optional<String> username, Optional<String> password) {
        PgConnectOptions connect = PgConnectOptions.fromUri(url);
        config.username().or(() -> username).ifPresent(connect::setUser);
        config.password().or(() -> password).ifPresent(connect::setPassword);
        connect.setReconnectAttempts(0);
        // Names the service's connections in the replica's pg_stat_activity.
        connect.addProperty("application_name", APPLICATION_NAME);
        PoolOptions pool = new PoolOptions().setMaxSize(config.maxSize()).setName("read-replica")
                .setConnectionTimeout((int) PROBE_TIMEOUT.toSeconds()).setIdleTimeout(60);
        return Pool.newInstance(PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build());
    }

    void onStart(@Observes StartupEvent event) {
        if (replica != null) {
            // First probe at once: reads use the replica only once it is known to be fresh enough.
            timerId = vertx.setPeriodic(1, config.probeInterval().toMillis(), id -> probe().subscribe().with(
                    ignored -> { }, failure -> LOG.debugf("Read replica probe failed: %s", failure.getMessage())));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        if (replica != null) {
            replica.closeAndAwait();
        }
    }

    /** Whether a read replica is configured at all. */
    public boolean replicaConfigured() {
        return replica != null;
    }

    /** The replica's last probe; empty without a replica. */
    public Optional<Status> status() {
        return replica == null ? Optional.empty() : Optional.of(status.get());
    }

    /** Where reads go now: the replica while it is up and fresh, else the primary. */
    public Target target() {
        return replica != null && status.get().reason() == null ? Target.REPLICA : Target.PRIMARY;
    }

    /**
     * The pool for a read starting now. Throws {@link ReplicaUnavailableException} when the replica
     * is configured, not usable, and when-unavailable is reject.
     */
    public Pool pool() {
        if (replica == null) {
            return primary;
        }
        Status now = status.get();
        if (now.reason() == null) {
            return replica;
        }
        if (config.whenUnavailable() == WhenUnavailable.REJECT) {
            throw new ReplicaUnavailableException("The read replica cannot serve reads (" + now.reason()
                    + ") and training-store.read.when-unavailable is reject; retry later.", config.probeInterval());
        }
        return primary;
    }

    /**
     * Refuses a read before its answer starts, while reads are rejected (the 503 must come before
     * a streamed answer's status is sent; the connection is taken later, once the stream runs).
     */
    public void requireAvailable() {
        pool();
    }

    /** The replica while it is usable, else the primary, whatever when-unavailable says (the stats' counts). */
    public Pool replicaOrPrimary() {
        return target() == Target.REPLICA ? replica : primary;
    }

    /**
     * A connection for a read starting now. When the replica refuses the connection (it went down
     * between two probes), it is marked down at once and the read goes to the primary (or fails
     * with {@link ReplicaUnavailableException}), so a client resuming after a cut export is served.
     */
    public Uni<SqlConnection> connection() {
        return Uni.createFrom().deferred(() -> {
            Pool chosen = pool();
            Uni<SqlConnection> connection = chosen.getConnection();
            if (chosen != replica) {
                return connection;
            }
            return connection.onFailure().recoverWithUni(failure -> {
                changeTo(down("connection refused: " + LogText.safe(String.valueOf(failure.getMessage()))));
                return pool().getConnection();
            });
        });
    }

    /** The replay position of reads starting now: where the replica is, or {@code replica: false}. */
    public Uni<Position> position() {
        if (target() != Target.REPLICA) {
            return Uni.createFrom().item(Position.PRIMARY);
        }
        return replica.query("SELECT pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp()").execute()
                .map(rows -> rows.iterator().next())
                .map(row -> new Position(true, row.getString(0), row.getOffsetDateTime(1)))
                .onFailure().recoverWithItem(Position.PRIMARY);
    }

    /** Measures the replica against the primary's current WAL position and moves reads accordingly. */
    public Uni<Status> probe() {
        if (replica == null) {
            return Uni.createFrom().item(Status.UNKNOWN);
        }
        return primary.query("SELECT pg_current_wal_lsn()::text").execute()
                .map(rows -> rows.iterator().next().getString(0))
                .chain(primaryLsn -> replica.preparedQuery(REPLAY).execute(Tuple.of(primaryLsn))
                        .map(rows -> measured(primaryLsn, rows.iterator().next())))
                .ifNoItem().after(PROBE_TIMEOUT).fail()
                .onFailure().recoverWithItem(failure -> down("does not answer: "
                        + LogText.safe(String.valueOf(failure.getMessage()))))
                .invoke(this::changeTo);
    }

    private Status measured(String primaryLsn, Row row) {
        if (!row.getBoolean("in_recovery")) {
            return down("the server at training-store.read.url is not a standby (pg_is_in_recovery() is false)");
        }
        long bytes = row.getLong("lag_bytes");
        String replayLsn = row.getString("replay_lsn");
        double seconds;
        synchronized (lag) {
            seconds = lag.seconds(ReplayLag.lsn(primaryLsn), ReplayLag.lsn(replayLsn),
                    row.getDouble("since_replayed_commit"), System.nanoTime());
        }
        String reason = seconds > config.maxLag().toMillis() / 1000.0
                ? String.format("replay lag %.1f s is over training-store.read.max-lag %s", seconds, config.maxLag())
                : null;
        return new Status(true, bytes, seconds, replayLsn, row.getOffsetDateTime("replay_at"),
                reason);
    }

    private static Status down(String reason) {
        return new Status(false, -1, -1, null, null, reason);
    }

    /** Records a probe's outcome; a change between replica and primary is logged once and counted. */
    private void changeTo(Status next) {
        Status previous = status.getAndSet(next);
        boolean wasUsable = previous.reason() == null;
        boolean usable = next.reason() == null;
        if (usable && !wasUsable) {
            LOG.infof("Reads go to the read replica (replay lag %d bytes, %.1f s)", next.lagBytes(),
                    next.lagSeconds());
        } else if (!usable && (wasUsable || previous == Status.UNKNOWN)) {
            fallbacks.increment();
            LOG.warnf("Reads leave the read replica: %s; they %s until it is back (probed every %s)", next.reason(),
                    config.whenUnavailable() == WhenUnavailable.REJECT ? "are refused with 503" : "go to the primary",
                    config.probeInterval());
        }
    }
}
