package ai.trainingstore.dataset;

import ai.trainingstore.dataset.tokens.TokenFigures;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code GET /api/v1/datasets/trajectories/summary}: what the same request would emit, counted. */
@Schema(description = "Counts of what the same trajectories request emits")
public record TrajectorySummary(
        @Schema(description = "Lines (tasks) emitted")
        long lines,
        @Schema(description = "Tasks left out, by reason: too_large, bad_record, too_long")
        Map<String, Long> skipped,
        @Schema(description = "Tokens per emitted line: every string value of the line (contract 6.5)")
        TokenFigures tokens,
        @Schema(description = "With explain=true only: per reason, the first 20 tasks left out ({id, detail}),"
                + " in task_id order")
        @JsonProperty("left_out") @JsonInclude(JsonInclude.Include.NON_NULL)
        Map<String, List<LeftOut.Example>> leftOut) {
}
