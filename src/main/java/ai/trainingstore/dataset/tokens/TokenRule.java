package ai.trainingstore.dataset.tokens;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * A request's {@code tokenizer} and {@code max_tokens} (contract 6.5): which encoding counts the
 * lines (the service's default when not asked) and the most tokens an emitted line may count.
 */
public record TokenRule(Optional<Tokenizer> tokenizer, OptionalLong maxTokens) {

    public static final TokenRule NONE = new TokenRule(Optional.empty(), OptionalLong.empty());

    public Tokenizer tokenizer(Tokenizer byDefault) {
        return tokenizer.orElse(byDefault);
    }

    /** Whether lines must be counted even when no summary is asked (a limit leaves lines out). */
    public boolean limits() {
        return maxTokens.isPresent();
    }

    /** The detail of a line that counts more than max_tokens ({@code explain=true}), or empty when it fits. */
    public Optional<String> tooLong(long tokens, Tokenizer counted) {
        if (maxTokens.isEmpty() || tokens <= maxTokens.getAsLong()) {
            return Optional.empty();
        }
        return Optional.of(tokens + " tokens (" + counted.id() + "), over max_tokens=" + maxTokens.getAsLong());
    }
}
