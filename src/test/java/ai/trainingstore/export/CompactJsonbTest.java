package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fast jsonb compaction gives exactly what a JSON library gives, on PostgreSQL's own output. */
class CompactJsonbTest {

    /** Keeps numbers as written (2.50 stays 2.50), like jsonb does. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    @Test
    void compactionOfPostgresJsonbOutputEqualsJacksonsCompactForm() throws Exception {
        List<String> documents = List.of(
                "{\"a\": 1, \"b\": [1, 2.50, -3.5], \"c\": {\"d\": null, \"e\": true}}",
                "{\"text\": \"commas, colons: and \\\"quotes\\\", \\\\ backslashes\\\\\", \"n\": 0}",
                "[\"a, b\", \"c: d\", \" leading space\", \"trailing space \", {}]",
                "{\"emoji\": \"\uD83D\uDE00 , :\", \"tab\": \"a\\tb\", \"nl\": \"a\\nb\", \"u\": \"\\u0001\"}",
                "\"just a string, with: separators\"", "42", "null", "{}", "[]");
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://localhost:5432/postgres",
                "postgres", "")) {
            for (String document : documents) {
                String printed = jsonbText(connection, document);
                String compact = RowEncoder.compactJsonb(printed);
                assertThat(compact).as("compact of %s", printed)
                        .isEqualTo(JSON.writeValueAsString(JSON.readTree(printed)));
                assertThat(JSON.readTree(compact)).isEqualTo(JSON.readTree(printed));
            }
        }
    }

    private static String jsonbText(Connection connection, String document) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("SELECT ?::jsonb::text")) {
            statement.setString(1, document);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        }
    }
}
