package ai.trainingstore.store;

import ai.trainingstore.text.LogText;
import io.vertx.pgclient.PgException;
import java.util.Set;

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

    public static boolean isCausedByData(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().length() >= 2) {
                return DATA_ERROR_CLASSES.contains(pg.getSqlState().substring(0, 2));
            }
        }
        return false;
    }

    public static String describe(Throwable failure) {
        if (failure instanceof PgException pg) {
            String detail = pg.getDetail() == null ? "" : " (" + pg.getDetail() + ")";
            return LogText.safe("PostgreSQL refused the record: " + pg.getErrorMessage() + detail + " [SQLSTATE "
                    + pg.getSqlState() + "]");
        }
        return LogText.safe(String.valueOf(failure.getMessage()));
    }
}
