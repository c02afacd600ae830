package ai.trainingstore.export;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;

/** The gaps with no operator setting and requests asking {@code redact=all}. */
@QuarkusTest
class RedactionGapsRequestTest extends RedactionGapsSupport {

    @Override
    List<String> redactParameter() {
        return List.of("redact", "all");
    }
}
