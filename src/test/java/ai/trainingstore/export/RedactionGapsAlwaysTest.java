package ai.trainingstore.export;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;

/** The gaps with {@code training-store.redaction.always=all} and requests that ask for nothing. */
@QuarkusTest
@TestProfile(RedactionGapsAlwaysTest.AllAlways.class)
class RedactionGapsAlwaysTest extends RedactionGapsSupport {

    public static class AllAlways implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("training-store.redaction.always", "all");
        }
    }

    @Override
    List<String> redactParameter() {
        return List.of();
    }
}
