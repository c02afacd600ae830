package ai.trainingstore.dataset;

import io.smallrye.mutiny.Multi;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a dataset offers to be frozen as a version (contract section 6.4). A dataset that
 * implements it (a CDI bean) can be versioned with no version code of its own: the version side
 * finds every implementation and knows nothing of any dataset.
 */
public interface VersionedDataset {

    /** The dataset's name, as in {@code /api/v1/datasets/<name>} and a version's {@code dataset}. */
    String name();

    /**
     * Parses the parameters with the very code the dataset's GET uses: a mistake throws
     * {@link ai.trainingstore.export.ExportRequest.InvalidExportException} with the GET's message
     * (400). Nothing is read until the build's lines are subscribed.
     */
    Build prepare(Map<String, List<String>> parameters);

    /**
     * The dataset's bytes for the parameters, uncompressed, in chunks of whole lines, all read from
     * one snapshot of the database (one read-only REPEATABLE READ transaction); and its summary for
     * that same snapshot, computed in the same pass, complete once {@code lines} has completed.
     */
    record Build(Multi<byte[]> lines, Supplier<Object> summary) {
    }
}
