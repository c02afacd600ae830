package ai.trainingstore.search;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The one profile every search test shares (one more application boot for the suite): search on,
 * quick polling, and the HNSW graph used from the first message (exact-below 0), so the approximate
 * path and its filters are what the tests exercise; the exact scan is compared with it in
 * {@link LuceneVectorIndexTest}.
 */
public class SearchProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("training-store.search.enabled", "true",
                "training-store.search.poll-interval", "200ms",
                "training-store.search.exact-below", "0");
    }
}
