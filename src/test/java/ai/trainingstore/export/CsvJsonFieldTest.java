package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A jsonb value written straight into a CSV record (compacted and quoted in one pass) gives the
 * bytes the two steps it replaces give: {@link RowEncoder#compactJsonb}, then {@link CsvFields#field}.
 */
class CsvJsonFieldTest {

    private static final List<String> JSONB = List.of(
            "{}", "[]", "1.50", "true", "null", "\"text\"", "\"a, b\"",
            "{\"a\": 1, \"b\": [1, 2, {\"c\": \"x, y: z\"}]}",
            "{\"quote\": \"say \\\"hi\\\", then: go\", \"back\\\\slash\": \"\\\\\"}",
            "{\"unicode\": \"caf\u00e9 \u4e2d\u6587 \ud83d\ude00, ok\", \"n\": -0.5e10}",
            "[\"line\\nbreak\", \"cr\\r\", \"tab\\t\"]",
            "{\"spaces inside\": \"a :  b ,  c\", \"k\": \"  \"}");

    @Test
    void onePassEqualsCompactingThenEncoding() {
        for (String jsonb : JSONB) {
            CsvFields twoSteps = new CsvFields().field("before").field(RowEncoder.compactJsonb(jsonb)).field("after");
            twoSteps.end();
            CsvFields onePass = new CsvFields().field("before").compactJsonField(jsonb).field("after");
            onePass.end();
            assertThat(new String(onePass.toByteArray(), StandardCharsets.UTF_8)).as(jsonb)
                    .isEqualTo(new String(twoSteps.toByteArray(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aJsonbValueAsTheFirstFieldOfARecordHasNoLeadingComma() {
        CsvFields fields = new CsvFields().compactJsonField("{\"a\": 1}").field("x");
        fields.end();
        assertThat(new String(fields.toByteArray(), StandardCharsets.UTF_8)).isEqualTo("\"{\"\"a\"\":1}\",x\r\n");
    }
}
