package ai.trainingstore.store;

import ai.trainingstore.text.LogText;
import io.vertx.pgclient.PgException;
import java.sql.SQLException;
import java.util.Set;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Tells a failure caused by the records themselves from one caused by the database being out of
 * reach. Only the first kind counts against an entry's delivery limit: an outage must never turn
 * good records into dead letters.
 */
public final class WriteFailures {

    /** SQLSTATE classes that blame the data: data exception, integrity violation, program limit. */
    private static final Set<String> DATA_ERROR_CLASSES = Set.of("22", "23", "54");

    private WriteFailures() {
    }

    /**
     * Whether PostgreSQL refused the write because of its data. Both clients carry its SQLSTATE:
     * the reactive client's {@code PgException} (statements) and pgjdbc's {@code PSQLException}
     * (COPY); pgjdbc's own connection failures carry class 08, a pool timeout none: outages.
     */
    public static boolean isCausedByData(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String sqlState = sqlState(cause);
            if (sqlState != null && sqlState.length() >= 2) {
                return DATA_ERROR_CLASSES.contains(sqlState.substring(0, 2));
            }
        }
        return false;
    }

    private static String sqlState(Throwable failure) {
        if (failure instanceof PgException pg) {
            return pg.getSqlState();
        }
        return failure instanceof SQLException sql ? sql.getSQLState() : null;
    }

    public static String describe(Throwable failure) {
        if (failure instanceof PgException pg) {
            return refused(pg.getErrorMessage(), pg.getDetail(), pg.getSqlState());
        }
        if (failure instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
            ServerErrorMessage server = psql.getServerErrorMessage();
            return refused(server.getMessage(), server.getDetail(), psql.getSQLState());
        }
        return LogText.safe(String.valueOf(failure.getMessage()));
    }

    private static String refused(String message, String detail, String sqlState) {
        return LogText.safe("PostgreSQL refused the record: " + message + (detail == null ? "" : " (" + detail + ")")
                + " [SQLSTATE " + sqlState + "]");
    }
}
