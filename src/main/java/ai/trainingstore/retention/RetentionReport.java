package ai.trainingstore.retention;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What one retention run did: per kind, its policy, the cutoff, rows deleted and archived, files
 * written. {@code archive}: whether rows are archived; files are named relative to the archive
 * directory ({@code <kind>/<file>}), so the answer never shows the server's paths.
 */
public record RetentionReport(
        @JsonProperty("started_at") String startedAt,
        boolean archive,
        Map<String, Kind> kinds) {

    /**
     * One kind. {@code policy} null: kept forever (nothing deleted). {@code skipped}: why this
     * replica did not run the kind (another replica holds the retention lock).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Kind(
            String policy,
            @JsonProperty("deleted_before") String deletedBefore,
            long deleted,
            long archived,
            List<String> files,
            String skipped) {
    }
}
