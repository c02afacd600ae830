package ai.trainingstore.dataset;

import ai.trainingstore.dataset.DatasetSummary.Tokens;
import ai.trainingstore.dataset.SplitRule.Split;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code GET /api/v1/datasets/preferences/summary}: what the same request emits, counted (contract 6.3). */
@Schema(description = "Counts of what the same preferences request emits")
public record PreferenceSummary(
        long emitted,
        @Schema(description = "Emitted pairs by kind: {corrections, ranked} (format=kto: none)")
        Map<String, Long> pairs,
        @Schema(description = "Left out, by reason: a broken or user-less conversation once, a tied group once, a bad"
                + " correction once per feedback record, an unlabeled conversation once")
        Map<String, Long> skipped,
        @Schema(description = "Emitted lines per split, before the split parameter is applied (up to where a limit stops)")
        Map<String, Long> splits,
        @Schema(description = "Per emitted line: an estimate of characters / 4")
        Tokens tokens,
        @Schema(description = "With explain=true only: per reason, the first 20 left out ({id, detail})")
        @JsonProperty("left_out") @JsonInclude(JsonInclude.Include.NON_NULL)
        Map<String, List<LeftOut.Example>> leftOut) {

    static final String NO_USER_MESSAGE = "no_user_message";
    static final String BAD_CORRECTION = "bad_correction";
    static final String TIE = "tie";
    static final String UNLABELED = "unlabeled";

    static final class Builder {
        private long emitted;
        private final Map<String, Long> pairs = new LinkedHashMap<>();
        private final LeftOut skipped;
        private final Map<String, Long> splits = new LinkedHashMap<>();
        private int[] tokens = new int[1024];

        Builder(boolean explain) {
            List<String> reasons = new ArrayList<>(Arrays.stream(Conversation.SkipReason.values())
                    .map(Conversation.SkipReason::id).toList());
            reasons.addAll(List.of(NO_USER_MESSAGE, BAD_CORRECTION, TIE, UNLABELED));
            skipped = new LeftOut(reasons, explain);
            for (PreferenceRequest.Pairs kind : PreferenceRequest.Pairs.values()) {
                pairs.put(kind.id(), 0L);
            }
            for (Split split : Split.values()) {
                splits.put(split.id(), 0L);
            }
        }

        void split(Split split) {
            splits.merge(split.id(), 1L, Long::sum);
        }

        /** An emitted line; {@code kind} null for a KTO line. */
        void emitted(PreferenceRequest.Pairs kind, int tokenEstimate) {
            if (kind != null) {
                pairs.merge(kind.id(), 1L, Long::sum);
            }
            if (emitted == tokens.length) {
                tokens = Arrays.copyOf(tokens, tokens.length * 2);
            }
            tokens[(int) emitted++] = tokenEstimate;
        }

        void skipped(String reason, String id, String detail) {
            skipped.add(reason, id, detail);
        }

        PreferenceSummary build() {
            return new PreferenceSummary(emitted, pairs, skipped.counts(), splits, Tokens.of(tokens, (int) emitted),
                    skipped.examples());
        }
    }
}
