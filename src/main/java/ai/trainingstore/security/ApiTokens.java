package ai.trainingstore.security;

import ai.trainingstore.config.StoreConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The configured API tokens and their scopes ({@code training-store.tokens}). Tokens are kept only
 * as SHA-256 digests and compared in constant time, so neither a log nor the timing of a refusal
 * tells anything about them. The list is read at start-up ({@link Startup}): a malformed entry or an
 * unknown scope stops the service with a message naming the setting and the entry by its position
 * (never the token), rather than a service that answers every request 500.
 */
@Startup
@ApplicationScoped
public class ApiTokens {

    /** Read: exports, datasets, versions, analytics, dead-letter list, search. */
    public static final String EXPORT = "export";
    /** Write records, replay dead letters. Agents hold these in numbers: it never deletes anything. */
    public static final String INGEST = "ingest";
    /** Destroy: retention runs, version deletion (contract section 5). */
    public static final String ADMIN = "admin";
    private static final Set<String> SCOPES = Set.of(EXPORT, INGEST, ADMIN);
    private static final String SETTING = "training-store.tokens (TRAINING_STORE_TOKENS)";
    private static final String FORM = "<token>:<scopes>, scopes export, ingest or admin joined with '+'"
            + " (e.g. <token>:export+ingest)";

    private record Token(byte[] digest, Set<String> scopes, String label) {
    }

    private final List<Token> tokens = new ArrayList<>();

    public ApiTokens(StoreConfig config) {
        String configured = config.tokens().orElse("");
        int index = 0;
        for (String item : configured.split(",")) {
            String entry = item.trim();
            if (entry.isEmpty()) {
                continue;
            }
            index++;
            int colon = entry.lastIndexOf(':');
            if (colon <= 0 || colon == entry.length() - 1) {
                throw new IllegalArgumentException(SETTING + ": entry " + index + " is not " + FORM
                        + "; the service does not start with a malformed token list.");
            }
            String scopeText = entry.substring(colon + 1);
            List<String> named = List.of(scopeText.split("\\+", -1));
            Set<String> scopes = new HashSet<>(named);
            if (!SCOPES.containsAll(scopes) || scopes.size() != named.size()) {
                // Not even the scopes are shown: an entry written <scopes>:<token> would print the token.
                throw new IllegalArgumentException(SETTING + ": entry " + index + " names an unknown or repeated"
                        + " scope after its last ':'; each entry is " + FORM + ", every scope once;"
                        + " the service does not start with an unknown scope.");
            }
            tokens.add(new Token(digest(entry.substring(0, colon)), Set.copyOf(scopes), "token-" + index));
        }
    }

    public boolean anyConfigured() {
        return !tokens.isEmpty();
    }

    /** The scopes and a label (never the token) of a presented token, if it is one of ours. */
    public Optional<Grant> lookUp(String presented) {
        byte[] digest = digest(presented);
        Token match = null;
        for (Token token : tokens) {
            // No early exit: every token is compared, whatever matches.
            if (MessageDigest.isEqual(token.digest(), digest)) {
                match = token;
            }
        }
        return Optional.ofNullable(match).map(token -> new Grant(token.label(), token.scopes()));
    }

    public record Grant(String label, Set<String> scopes) {
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
