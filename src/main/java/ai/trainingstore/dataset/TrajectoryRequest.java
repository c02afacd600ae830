package ai.trainingstore.dataset;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.dataset.DatasetParameters.Score;
import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.dataset.tokens.TokenRule;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.redact.Redaction;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validated request for the trajectories dataset (contract section 6.2): filters on the task
 * row, score bounds on the task's feedback, the split by task id. Checked before anything runs.
 */
public record TrajectoryRequest(
        Optional<Instant> from,
        Optional<Instant> to,
        Map<String, List<String>> taskFilters,
        List<Score> minScores,
        List<Score> maxScores,
        Optional<Long> limit,
        Optional<String> after,
        Optional<Split> split,
        SplitRule splitRule,
        boolean gzip,
        Redaction redact,
        TokenRule tokens) {

    /** The task columns a request may filter on; each parameter is named after its column. */
    static final List<String> TASK_FILTERS = List.of("task_id", "agent_id", "workflow_id", "task_type", "status");

    private static final Set<String> PARAMETERS = DatasetParameters.accepted(
            java.util.stream.Stream.concat(TASK_FILTERS.stream(), java.util.stream.Stream.of("redact", "max_tokens", "tokenizer"))
                    .toArray(String[]::new));

    public static TrajectoryRequest parse(Map<String, List<String>> query, String acceptEncoding) {
        DatasetParameters.requireKnown(query, PARAMETERS);
        return new TrajectoryRequest(
                DatasetParameters.from(query),
                DatasetParameters.to(query),
                taskFilters(query),
                DatasetParameters.scores(query, "min_score"),
                DatasetParameters.scores(query, "max_score"),
                DatasetParameters.limit(query),
                single(query, "after"),
                DatasetParameters.split(query),
                DatasetParameters.splitRule(query),
                QueryParameters.acceptsGzip(acceptEncoding),
                QueryParameters.redaction(query),
                DatasetParameters.tokens(query));
    }

    /** Each task filter that is used, with its values (any of them matches). */
    private static Map<String, List<String>> taskFilters(Map<String, List<String>> query) {
        Map<String, List<String>> filters = new LinkedHashMap<>();
        TASK_FILTERS.stream().filter(query::containsKey)
                .forEach(column -> filters.put(column, DatasetParameters.all(query, column)));
        return filters;
    }

    public String fileName() {
        return "trajectories" + split.map(s -> "-" + s.id()).orElse("") + ".jsonl" + (gzip ? ".gz" : "");
    }
}
