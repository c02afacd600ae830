package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 1: an export whose bound is out of range took an export slot, failed with 500 and
 * never gave the slot back; after four of them (training-store.export.max-concurrent) every export
 * got 429 for good. A bound out of range is the client's mistake (400, JSON), and no failure may
 * keep a slot.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class ExportSlotLeakTest extends HostileSupport {

    private static final String FAR_FUTURE = "%2B999999999-12-31T23:59:59.999999999Z";

    @Test
    void aBoundOutOfRangeIs400AndLeavesNoSlotTaken() {
        List<String> bad = List.of(
                "/api/v1/export/events?from=" + FAR_FUTURE,
                "/api/v1/export/events?to=" + FAR_FUTURE,
                "/api/v1/export/tasks?from=" + FAR_FUTURE,
                "/api/v1/export/messages?to=" + FAR_FUTURE + "&format=csv",
                "/api/v1/export/workflows?start_date=" + FAR_FUTURE,
                "/api/v1/export/tool_executions?end_date=" + FAR_FUTURE);
        // More than the four slots, twice over: a leak would use them all up.
        for (int round = 0; round < 2; round++) {
            for (String path : bad) {
                String error = assertJsonError(get(path, EXPORT_TOKEN), 400);
                assertThat(error).as(path).isNotBlank();
            }
        }
        // Then ordinary exports, one after another, each 200 with a complete body.
        for (int i = 0; i < 2; i++) {
            assertExportsStillWork();
        }
    }

    @Test
    void exportsStillRunAfterManyFailedOnesOfEveryKind() {
        for (int i = 0; i < 10; i++) {
            get("/api/v1/export/" + KINDS.get(i % KINDS.size()) + "?from=" + FAR_FUTURE, EXPORT_TOKEN);
        }
        assertExportsStillWork();
    }
}
