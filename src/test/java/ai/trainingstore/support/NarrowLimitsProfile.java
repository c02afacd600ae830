package ai.trainingstore.support;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * One application for the classes that each need a setting or two the default profile does not
 * have, where none of them depends on the others' settings being absent (a profile is a boot of its
 * own on every CI run; see docs/design.md, "Test profiles and application boots"):
 * <ul>
 * <li>{@code AnalyticsBoundsTest}: analytics capped at {@link #ANALYTICS_MAX_ROWS} rows and one
 * request at a time;</li>
 * <li>{@code StreamTrimmingTest}: trimming on, every 500 ms;</li>
 * <li>{@code StuckConsumerLivenessTest}: a 3 s stall timeout (liveness), and a write timeout long
 * enough that the stuck INSERT is not cut first.</li>
 * </ul>
 * None of these classes calls analytics but the first, reads liveness but the last, or counts
 * stream entries but the trimming one. Add a class here only on the same terms.
 */
public class NarrowLimitsProfile implements QuarkusTestProfile {

    public static final int ANALYTICS_MAX_ROWS = 600;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "training-store.analytics.max-rows", Integer.toString(ANALYTICS_MAX_ROWS),
                "training-store.analytics.max-concurrent", "1",
                "training-store.trim.enabled", "true",
                "training-store.trim.interval", "500ms",
                "training-store.health.stall-timeout", "3s",
                "training-store.delivery.write-timeout", "60s");
    }
}
