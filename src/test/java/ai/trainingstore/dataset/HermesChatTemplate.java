package ai.trainingstore.dataset;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@code format=messages} line (contract 6.1) with the Hermes-style tool chat template
 * in src/test/resources/chat-templates, as a trainer's {@code apply_chat_template} would: the
 * line's {@code messages} and {@code tools} as the template's variables, {@code raise_exception}
 * as Hugging Face provides it. Strict: an attribute or variable the line lacks fails the
 * rendering, as concatenating an undefined value fails in Jinja2.
 */
final class HermesChatTemplate {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEMPLATE = read("/chat-templates/hermes-tools.jinja");
    private static final Jinjava JINJAVA = new Jinjava(JinjavaConfig.newBuilder()
            .withFailOnUnknownTokens(true)
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .build());

    static {
        JINJAVA.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                HermesChatTemplate.class, "raiseException", String.class));
    }

    /** A line a template cannot render, with Jinjava's errors. */
    static final class RenderFailure extends RuntimeException {
        RenderFailure(String message) {
            super(message);
        }
    }

    private HermesChatTemplate() {
    }

    /** The rendered text of one JSONL line; fails with every error Jinjava reports. */
    static String render(String line) {
        Map<String, Object> parsed;
        try {
            parsed = JSON.readValue(line, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", parsed.get("messages"));
        // Hugging Face passes tools=None when there are none; an empty list tests false the same way.
        context.put("tools", parsed.getOrDefault("tools", List.of()));
        context.put("bos_token", "");
        context.put("add_generation_prompt", false);
        RenderResult result = JINJAVA.renderForResult(TEMPLATE, context);
        if (!result.getErrors().isEmpty()) {
            throw new RenderFailure("the chat template cannot render the line: " + result.getErrors() + "\nline: " + line);
        }
        return result.getOutput();
    }

    /** Hugging Face's raise_exception: the template refuses the line. */
    public static String raiseException(String message) {
        throw new RenderFailure(message);
    }

    private static String read(String resource) {
        try (InputStream in = HermesChatTemplate.class.getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
