package ai.trainingstore.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.Rejection.Reason;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Contract section 9: every counter and gauge exists from start-up for every stream, kind and
 * dead-letter reason, so rate() and alerts see the first increment. Nothing here publishes or
 * exports first: what is asserted is there without any traffic of its own.
 */
@QuarkusTest
class MetricsFromZeroTest extends StoreTestSupport {

    /** Series per stream (counters with _total, summaries and histograms by their _count). */
    static final List<String> PER_STREAM = List.of("training_store_records_read_total", "training_store_batch_size_count",
            "training_store_batch_failures_total", "training_store_records_claimed_total",
            "training_store_records_redelivered_total", "training_store_records_trimmed_total",
            "training_store_stream_length", "training_store_stream_lag", "training_store_stream_pending",
            "training_store_consumer_backoff");
    static final List<String> PER_KIND = List.of("training_store_records_stored_total", "training_store_commit_seconds_count",
            "training_store_exports_started_total", "training_store_exports_failed_total", "training_store_export_rows_total",
            "training_store_retention_rows_deleted_total", "training_store_retention_rows_archived_total",
            "training_store_retention_last_run_timestamp_seconds", "training_store_retention_last_run_duration_seconds");
    /** Only events and messages are written by COPY, so only they can fall back. */
    static final String PER_INSERT_ONCE_KIND = "training_store_copy_fallbacks_total";
    static final List<String> SINGLE = List.of("training_store_exports_refused_total", "training_store_exports_running",
            "training_store_live");

    @Inject
    StoreConfig config;

    @Test
    void everyStreamAndKindHasEverySeriesFromStartUp() {
        MetricsScrape scrape = MetricsScrape.now();
        List<String> missing = new ArrayList<>();
        for (RecordKind kind : RecordKind.values()) {
            String stream = config.streams().of(kind);
            PER_STREAM.stream().filter(name -> scrape.find(name, Map.of("stream", stream)).isEmpty())
                    .forEach(name -> missing.add(name + "{stream=" + stream + "}"));
            PER_KIND.stream().filter(name -> scrape.find(name, Map.of("kind", kind.id())).isEmpty())
                    .forEach(name -> missing.add(name + "{kind=" + kind.id() + "}"));
            if (!kind.merges() && scrape.find(PER_INSERT_ONCE_KIND, Map.of("kind", kind.id())).isEmpty()) {
                missing.add(PER_INSERT_ONCE_KIND + "{kind=" + kind.id() + "}");
            }
        }
        SINGLE.stream().filter(name -> scrape.find(name, Map.of()).isEmpty()).forEach(missing::add);
        assertThat(missing).as("series missing from /q/metrics").isEmpty();
    }

    @Test
    void everyDeadLetterReasonOfEveryStreamIsThereBeforeItsFirstDeadLetter() {
        MetricsScrape scrape = MetricsScrape.now();
        List<String> missing = new ArrayList<>();
        for (RecordKind kind : RecordKind.values()) {
            for (Reason reason : Reason.values()) {
                Map<String, String> labels = Map.of("stream", config.streams().of(kind), "reason", reason.code());
                if (scrape.find("training_store_records_dead_lettered_total", labels).size() != 1) {
                    missing.add(labels.toString());
                }
            }
        }
        assertThat(missing).as("dead-letter series missing").isEmpty();
        // delivery_limit is reached only after 5 failed deliveries: no test of this suite does it on workflows.
        assertThat(scrape.find("training_store_records_dead_lettered_total",
                Map.of("stream", WORKFLOWS, "reason", "delivery_limit")).get(0).value()).isZero();
    }

    @Test
    void streamGaugesHoldRealFiguresNotTheUnknownMarker() {
        // The first poll runs at start-up; a stream that does not exist yet counts as empty.
        org.awaitility.Awaitility.await().atMost(TIMEOUT).untilAsserted(() -> {
            MetricsScrape scrape = MetricsScrape.now();
            for (String name : List.of("training_store_stream_length", "training_store_stream_pending")) {
                assertThat(scrape.find(name, Map.of("stream", WORKFLOWS))).singleElement()
                        .satisfies(sample -> assertThat(sample.value()).as(name).isGreaterThanOrEqualTo(0));
            }
        });
    }

    @Test
    void livenessIsUpAsAGauge() {
        assertThat(MetricsScrape.now().find("training_store_live", Map.of())).singleElement()
                .satisfies(sample -> assertThat(sample.value()).isEqualTo(1.0));
    }
}
