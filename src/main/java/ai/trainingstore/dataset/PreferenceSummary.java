package ai.trainingstore.dataset;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.dataset.tokens.TokenCounter;
import ai.trainingstore.dataset.tokens.TokenFigures;
import ai.trainingstore.dataset.tokens.TokenTally;
import ai.trainingstore.dataset.tokens.Tokenizer;
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
        @Schema(description = "Tokens per emitted line, counted as contract 6.5 says (prompt + the longer output;"
                + " kto: prompt + completion)")
        TokenFigures tokens,
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
        private final TokenCounter counter;
        private final TokenTally tokens;
        private byte[] countFrom;

        /** {@code tokenizer} null: lines are not counted (a plain export needs no tokens). */
        Builder(boolean explain, Tokenizer tokenizer) {
            counter = tokenizer == null ? null : new TokenCounter(tokenizer);
            tokens = tokenizer == null ? null : new TokenTally(tokenizer);
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

        /** The counter of the lines' tokens, null when they are not counted. */
        TokenCounter counter() {
            return counter;
        }

        /** An emitted line; {@code kind} null for a KTO line. */
        void emitted(PreferenceRequest.Pairs kind, long lineTokens) {
            if (kind != null) {
                pairs.merge(kind.id(), 1L, Long::sum);
            }
            emitted++;
            if (tokens != null) {
                tokens.add(lineTokens);
            }
        }

        void skipped(String reason, String id, String detail) {
            skipped.add(reason, id, detail);
        }

        /**
         * With dedup and {@code after}, lines up to the cursor are read to be judged, not answered:
         * a line's own reasons are then counted only past the cursor (see {@link #skippedLine}).
         */
        void countFrom(byte[] cursor) {
            countFrom = cursor;
        }

        /** A reason of the line {@code identity} (kto or correction), counted only past the cursor. */
        void skippedLine(String identity, String reason, String id, String detail) {
            if (countFrom == null
                    || Arrays.compareUnsigned(identity.getBytes(java.nio.charset.StandardCharsets.UTF_8), countFrom) > 0) {
                skipped.add(reason, id, detail);
            }
        }

        boolean explains() {
            return skipped.explains();
        }

        PreferenceSummary build() {
            return new PreferenceSummary(emitted, pairs, skipped.counts(), splits, tokens == null ? null : tokens.figures(),
                    skipped.examples());
        }
    }
}
