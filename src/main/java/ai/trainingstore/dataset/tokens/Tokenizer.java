package ai.trainingstore.dataset.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * OpenAI's encodings a line can be counted with (contract 6.5), by their tiktoken names. The
 * encodings come from jtokkit, whose {@code Encoding}s are immutable and thread-safe; each is
 * loaded on first use (about 1 s and 30 MB of heap for o200k_base, 15 MB for cl100k_base), so an
 * encoding nobody asks for costs nothing.
 */
public enum Tokenizer {
    O200K_BASE(EncodingType.O200K_BASE, true),
    // jtokkit splits cl100k_base with its own hand-written code: counted whole.
    CL100K_BASE(EncodingType.CL100K_BASE, false);

    // Thread-safe: a ConcurrentHashMap filled on first use of each encoding.
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    private final EncodingType type;
    private final boolean piecewise;

    Tokenizer(EncodingType type, boolean piecewise) {
        this.type = type;
        this.piecewise = piecewise;
    }

    /** Counted piece by piece ({@link O200kPieces}), each piece's count remembered, rather than by jtokkit's regex. */
    boolean piecewise() {
        return piecewise;
    }

    /** The tiktoken name: {@code o200k_base}, {@code cl100k_base}. */
    public String id() {
        return type.getName();
    }

    /** The encoding, loaded on the first call (blocking: call it on a worker thread or at start-up). */
    Encoding encoding() {
        return REGISTRY.getEncoding(type);
    }

    public static Optional<Tokenizer> byId(String id) {
        return Arrays.stream(values()).filter(tokenizer -> tokenizer.id().equals(id)).findFirst();
    }

    /** The accepted names, for messages: {@code o200k_base or cl100k_base}. */
    public static String choices() {
        return Arrays.stream(values()).map(Tokenizer::id).collect(Collectors.joining(" or "));
    }
}
