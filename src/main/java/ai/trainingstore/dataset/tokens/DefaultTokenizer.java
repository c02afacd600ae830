package ai.trainingstore.dataset.tokens;

import ai.trainingstore.config.StoreConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The operator's {@code training-store.datasets.tokenizer}: the encoding a dataset request counts
 * with when it names none. Read at start-up: a value that is not an encoding stops the service
 * with a message saying what to fix, rather than failing every summary later.
 */
@Startup
@ApplicationScoped
public class DefaultTokenizer {

    static final String KEY = "training-store.datasets.tokenizer";

    private final Tokenizer tokenizer;

    public DefaultTokenizer(StoreConfig config) {
        this.tokenizer = parse(config.datasets().tokenizer());
    }

    static Tokenizer parse(String value) {
        return Tokenizer.byId(value.trim()).orElseThrow(() -> new IllegalStateException(KEY
                + " (TRAINING_STORE_DATASETS_TOKENIZER) is invalid: '" + value + "' is not an encoding; use "
                + Tokenizer.choices() + "."));
    }

    public Tokenizer get() {
        return tokenizer;
    }
}
