package ai.trainingstore.text;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8: invalid bytes are reported, never replaced by U+FFFD behind the sender's back. */
public final class Utf8 {

    private static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /** The text the bytes encode, or null when they are not valid UTF-8. */
    public static String decodeStrictly(byte[] bytes) {
        return decodeStrictly(ByteBuffer.wrap(bytes));
    }

    /** The text that the bytes between the buffer's position and limit encode, or null when not valid UTF-8. */
    public static String decodeStrictly(ByteBuffer bytes) {
        // The JDK's decoder scans ASCII with a vectorized intrinsic and replaces every malformed
        // sequence (overlong forms and encoded surrogates included) with U+FFFD: text without one is
        // valid as it is, decoded in one pass. Only text holding U+FFFD is decoded again, strictly,
        // to tell an agent's own U+FFFD from a replaced byte.
        String text = new String(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining(),
                StandardCharsets.UTF_8);
        if (text.indexOf(REPLACEMENT) < 0) {
            return text;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.duplicate())
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
