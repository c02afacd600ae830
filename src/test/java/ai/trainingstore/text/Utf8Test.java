package ai.trainingstore.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Utf8#decodeStrictly} decodes in one pass with the JDK's lenient decoder and falls back to
 * the strict one only when U+FFFD appears: it must answer exactly what a strict decoder answers,
 * for every byte sequence.
 */
class Utf8Test {

    /** The reference: the JDK's decoder, reporting every malformed or unmappable input. */
    private static String strict(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    @Test
    void validTextIsDecodedAsItIs() {
        for (String text : List.of("", "plain ascii", "é and ü", "日本語", "\ud83d\ude80 rocket", "nul \u0000 inside",
                "an agent's own \ufffd replacement character")) {
            assertThat(Utf8.decodeStrictly(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(text);
        }
    }

    @Test
    void everyMalformedFormIsRefused() {
        List<byte[]> malformed = List.of(
                bytes(0xC3, 0x28),                   // a lead byte without its continuation
                bytes(0xFF), bytes(0xFE), bytes(0x80), // never valid / a lone continuation
                bytes(0xC0, 0x80), bytes(0xC1, 0xBF),  // overlong two-byte forms (a NUL, a '?')
                bytes(0xE0, 0x80, 0x80),             // overlong three-byte form
                bytes(0xF0, 0x80, 0x80, 0x80),       // overlong four-byte form
                bytes(0xED, 0xA0, 0x80),             // an encoded surrogate (CESU-8)
                bytes(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80), // a surrogate pair encoded as two (CESU-8)
                bytes(0xF4, 0x90, 0x80, 0x80),       // beyond U+10FFFF
                bytes(0xE6, 0x97),                   // cut short at the end
                bytes('a', 0xEF, 0xBF, 0xBD, 0xC3)); // a real U+FFFD followed by a bad byte
        for (byte[] bad : malformed) {
            assertThat(Utf8.decodeStrictly(bad)).as(HexFormat.of().formatHex(bad)).isNull();
        }
    }

    /** Random sequences weighted towards the bytes where UTF-8's rules have edges. */
    @Test
    void answersWhatAStrictDecoderAnswersForRandomBytes() {
        int[] edges = {0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
                0xA0, 0x9F, 0x90, 0x8F, 0xBD};
        Random random = new Random(27);
        int valid = 0;
        for (int round = 0; round < 200_000; round++) {
            byte[] bytes = new byte[random.nextInt(8)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : edges[random.nextInt(edges.length)]);
            }
            String expected = strict(bytes);
            valid += expected == null ? 0 : 1;
            assertThat(Utf8.decodeStrictly(bytes)).as(HexFormat.of().formatHex(bytes)).isEqualTo(expected);
        }
        assertThat(valid).as("both outcomes were exercised").isBetween(1_000, 199_000);
    }
}
