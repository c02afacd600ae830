package ai.trainingstore.redact;

import ai.trainingstore.config.StoreConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * The operator's switch, {@code training-store.redaction.always}: classes redacted on every export
 * and dataset, joined to whatever a request asks, so no request can switch them off. Read at
 * start-up: a value that is not a valid list stops the service with a message saying what to fix,
 * rather than serving exports the operator believes are redacted.
 */
@Startup
@ApplicationScoped
public class RedactionPolicy {

    private static final Logger LOG = Logger.getLogger(RedactionPolicy.class);
    static final String KEY = "training-store.redaction.always";

    private final Redaction always;

    public RedactionPolicy(StoreConfig config) {
        this.always = config.redaction().always().map(String::trim).filter(value -> !value.isEmpty())
                .map(RedactionPolicy::parse).orElse(Redaction.none());
        if (!always.isNone()) {
            LOG.infof("Every export and dataset is redacted for: %s (%s)", always, KEY);
        }
        // Loads the secret rules and the phone metadata now: a broken rule file fails start-up, and
        // the first redacting export does not pay for it.
        Redaction.parse(RedactClass.ALL).text("warm-up +1-415-555-0100 password=x");
    }

    private static Redaction parse(String value) {
        try {
            return Redaction.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(KEY + " (TRAINING_STORE_REDACTION_ALWAYS) is invalid: " + e.getMessage(), e);
        }
    }

    /** What an export applies: the request's classes and the operator's. */
    public Redaction effective(Redaction requested) {
        return requested.with(always);
    }

    /** The operator's forced classes (none when unset). */
    public Redaction always() {
        return always;
    }
}
