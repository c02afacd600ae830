package ai.trainingstore.store;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import java.util.function.Function;

/**
 * A connection of its own in a read-only REPEATABLE READ transaction: every statement of a long
 * read (a size query and its rows, a count and its rows, a cursor and its lookups) sees one
 * snapshot, whatever commits meanwhile; without JIT compilation. Ended by a rollback, the cheapest end of a read-only
 * transaction, whatever happened, and the connection goes back to the pool.
 */
public record ReadSnapshot(SqlConnection connection, Transaction transaction) {

    /** The items of {@code body}, read in a snapshot opened when the stream is subscribed and ended with it. */
    public static <T> Multi<T> reading(Pool pool, Function<ReadSnapshot, Multi<T>> body) {
        return Multi.createFrom().resourceFromUni(() -> open(pool), body).withFinalizer(ReadSnapshot::close);
    }

    /**
     * The items of {@code body}, read in a snapshot on the read pool's choice (the replica while it
     * is fresh, else the primary), taken when the stream is subscribed.
     */
    public static <T> Multi<T> reading(ReadPool reads, Function<ReadSnapshot, Multi<T>> body) {
        return Multi.createFrom().resourceFromUni(() -> open(reads.connection()), body)
                .withFinalizer(ReadSnapshot::close);
    }

    private static Uni<ReadSnapshot> open(Pool pool) {
        return open(pool.getConnection());
    }

    private static Uni<ReadSnapshot> open(Uni<SqlConnection> connecting) {
        return connecting.chain(connection -> connection.begin()
                // No JIT: the reads are cursors whose per-row lookups PostgreSQL prices high, so JIT
                // would compile (up to a second) for every statement, small ones included.
                .call(() -> connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
                        + " SET LOCAL jit = off").execute())
                .map(transaction -> new ReadSnapshot(connection, transaction))
                .onFailure().call(connection::close));
    }

    private Uni<Void> close() {
        return transaction.rollback()
                .onFailure().recoverWithNull()
                .eventually(connection::close);
    }
}
