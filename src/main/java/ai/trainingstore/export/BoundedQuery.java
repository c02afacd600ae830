package ai.trainingstore.export;

import io.vertx.mutiny.sqlclient.Tuple;

/**
 * A query whose rows are fetched in chunks bounded by bytes. {@code sizesSql} has the same FROM,
 * WHERE and ORDER BY as {@code rowsSql} (so, in one snapshot, it yields the same rows in the same
 * order) and selects, for each row, its size in bytes ({@link ByteSizes}) first and, for grouped
 * reads, the row's group key second. Both take the same parameters.
 */
public record BoundedQuery(String rowsSql, String sizesSql, Tuple parameters) {
}
