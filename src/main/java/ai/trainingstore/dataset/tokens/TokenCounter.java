package ai.trainingstore.dataset.tokens;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import com.knuddels.jtokkit.api.Encoding;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The tokens of a line as contract 6.5 counts them: 3 per line, plus per message 3 and the tokens
 * of every string value in it at any depth, plus every string value of {@code tools}; keys,
 * numbers, booleans and nulls count nothing. Special-token text such as {@code <|endoftext|>} is
 * counted as ordinary text (tiktoken's {@code encode_ordinary}): it is data, not a control token.
 *
 * <p>One counter serves one answer, one line at a time (not thread-safe). It remembers the counts
 * of the short strings it saw, because agents repeat them on every line (system prompts, tool
 * definitions, roles): those are then counted once per answer, not once per line; with
 * o200k_base, the counts of the pieces (words) of every text too. The memory is bounded: strings
 * over {@link #LONGEST_REMEMBERED} characters are never kept, and the whole memory is dropped
 * when it holds {@link #REMEMBERED_CHARS} characters.
 */
public final class TokenCounter {

    /** Tokens of every line, whatever its messages (OpenAI's priming of the reply). */
    public static final int PER_LINE = 3;
    /** Tokens of every message besides its strings (OpenAI's message framing). */
    public static final int PER_MESSAGE = 3;
    static final int LONGEST_REMEMBERED = 16 * 1024;
    static final int REMEMBERED_CHARS = 512 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Tokenizer tokenizer;
    private Encoding encoding;
    private final Map<String, Integer> remembered = new HashMap<>();
    private long rememberedChars;

    /** Cheap: the encoding is taken on the first count (loaded then if it is the process' first use). */
    public TokenCounter(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokens of one text. CPU work, and the first call may load the encoding: a worker thread's. */
    public int text(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        if (encoding == null) {
            encoding = tokenizer.encoding();
        }
        if (text.length() > LONGEST_REMEMBERED) {
            return counted(text);
        }
        Integer known = remembered.get(text);
        if (known != null) {
            return known;
        }
        int tokens = counted(text);
        remember(text, tokens);
        return tokens;
    }

    /**
     * o200k_base: piece by piece as its pre-tokenizer cuts the text, each piece's count remembered
     * (words recur across lines; a piece is counted alone exactly as within its text, since BPE
     * never merges across pieces). cl100k_base: whole, by jtokkit's own fast splitter.
     */
    private int counted(String text) {
        if (!tokenizer.piecewise()) {
            return encoding.countTokensOrdinary(text);
        }
        int tokens = 0;
        for (int start = 0; start < text.length(); ) {
            int end = O200kPieces.end(text, start);
            String piece = text.substring(start, end);
            Integer known = remembered.get(piece);
            if (known == null) {
                known = encoding.countTokensOrdinary(piece);
                remember(piece, known);
            }
            tokens += known;
            start = end;
        }
        return tokens;
    }

    private void remember(String text, int tokens) {
        if (text.length() > LONGEST_REMEMBERED) {
            return;
        }
        if (rememberedChars + text.length() > REMEMBERED_CHARS) {
            remembered.clear();
            rememberedChars = 0;
        }
        if (remembered.put(text, tokens) == null) {
            rememberedChars += text.length();
        }
    }

    /** The tokens of every string value in {@code node} at any depth (keys and other values count nothing). */
    public long strings(JsonNode node) {
        if (node == null) {
            return 0;
        }
        long tokens = 0;
        // A stack, not recursion: nesting depth is whatever the stored JSON had.
        ArrayDeque<JsonNode> pending = new ArrayDeque<>();
        pending.push(node);
        while (!pending.isEmpty()) {
            JsonNode next = pending.pop();
            if (next.isTextual()) {
                tokens += text(next.textValue());
            } else if (next.isContainerNode()) {
                next.forEach(pending::push);
            } else if (next instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw) {
                // JSON text written into the line as it is (a trajectory's task row): its strings count too.
                pending.push(parse(raw));
            }
        }
        return tokens;
    }

    private static JsonNode parse(RawValue raw) {
        try {
            return JSON.readTree(String.valueOf(raw.rawValue()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("raw JSON in a line could not be read for counting: " + e.getOriginalMessage(), e);
        }
    }

    /** Per message 3 plus its strings ({@code function.arguments} is a string in the openai shape). */
    public long messages(JsonNode messages) {
        long tokens = 0;
        if (messages != null) {
            for (JsonNode message : messages) {
                tokens += PER_MESSAGE + strings(message);
            }
        }
        return tokens;
    }

    /** A chat line in the openai shape: 3, its messages, the strings of its tools (null when none). */
    public long chatLine(JsonNode messages, JsonNode tools) {
        return PER_LINE + messages(messages) + strings(tools);
    }

    /** An openai-shaped line ({@code {"messages": [...], "tools": [...]}}); anything else in it is not counted. */
    public long openAiLine(JsonNode line) {
        return chatLine(line.get("messages"), line.get("tools"));
    }
}
