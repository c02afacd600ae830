package ai.trainingstore.security;

import ai.trainingstore.config.StoreConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The configured API tokens and their scopes ({@code training-store.tokens}). Tokens are kept only
 * as SHA-256 digests and compared in constant time, so neither a log nor the timing of a refusal
 * tells anything about them.
 */
@ApplicationScoped
public class ApiTokens {

    public static final String EXPORT = "export";
    public static final String INGEST = "ingest";
    private static final Set<String> SCOPES = Set.of(EXPORT, INGEST);

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
                throw new IllegalArgumentException("training-store.tokens: entry " + index
                        + " must be <token>:<scopes> with scopes export, ingest or export+ingest");
            }
            Set<String> scopes = Set.of(entry.substring(colon + 1).split("\\+"));
            if (!SCOPES.containsAll(scopes)) {
                throw new IllegalArgumentException("training-store.tokens: entry " + index
                        + " has unknown scopes; use export, ingest or export+ingest");
            }
            tokens.add(new Token(digest(entry.substring(0, colon)), scopes, "token-" + index));
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
