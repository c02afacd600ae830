package ai.trainingstore.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.monitoring.MonitoringFiles.Query;
import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the alert rules read only series the service really exposes: every
 * metric name, and every label they match on, is looked up on /q/metrics of the running test
 * application (before any traffic of this class: the series exist from start-up).
 */
@QuarkusTest
class MonitoringQueriesTest extends StoreTestSupport {

    /** Labels Prometheus adds when it scrapes; the service itself never writes them. */
    private static final Set<String> SCRAPE_LABELS = Set.of("job", "instance", "namespace", "pod", "service", "endpoint");

    @Test
    void theDashboardParsesAndEveryPanelHasAQuery() {
        JsonNode dashboard = MonitoringFiles.dashboard();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        List<JsonNode> panels = MonitoringFiles.panels();
        assertThat(panels).hasSizeGreaterThanOrEqualTo(10);
        for (JsonNode panel : panels) {
            String title = panel.path("title").asText();
            assertThat(title).as("panel title").isNotBlank();
            assertThat(panel.path("targets")).as("queries of panel '%s'", title).isNotEmpty();
            panel.path("targets").forEach(target -> assertThat(target.path("expr").asText())
                    .as("query %s of panel '%s'", target.path("refId").asText(), title).isNotBlank());
            assertThat(panel.path("gridPos").path("w").asInt()).as("width of '%s'", title).isBetween(1, 24);
        }
        List<String> titles = panels.stream().map(panel -> panel.path("title").asText().toLowerCase()).toList();
        for (String topic : List.of("stored per kind", "lag", "pending", "dead letters by reason", "commit latency",
                "back-off", "export", "jvm heap")) {
            assertThat(titles).as("a panel about " + topic).anyMatch(title -> title.contains(topic));
        }
    }

    @Test
    void everyMetricTheDashboardAndTheRulesReadIsExposed() {
        MetricsScrape scrape = MetricsScrape.now();
        Set<String> exposed = scrape.names();
        List<String> problems = new ArrayList<>();
        List<Query> queries = Stream.of(MonitoringFiles.dashboardQueries(), MonitoringFiles.templatingQueries(),
                MonitoringFiles.ruleQueries()).flatMap(List::stream).toList();
        assertThat(queries).hasSizeGreaterThan(20);
        for (Query query : queries) {
            Set<String> names = PromQl.metricNames(query.expr());
            if (names.isEmpty()) {
                problems.add(query.where() + " reads no metric: " + query.expr());
            }
            names.stream().filter(name -> !exposed.contains(name))
                    .forEach(name -> problems.add(query.where() + " reads " + name + ", which /q/metrics does not have"));
            for (PromQl.Selector selector : PromQl.selectors(query.expr())) {
                List<MetricsScrape.Sample> samples = scrape.find(selector.metric(), Map.of());
                for (String label : selector.labelsMatched()) {
                    if (!SCRAPE_LABELS.contains(label) && samples.stream().noneMatch(s -> s.labels().containsKey(label))) {
                        problems.add(query.where() + " matches label " + label + " of " + selector.metric() + ", which has none");
                    }
                }
                Map<String, String> ownLabels = new java.util.HashMap<>(selector.equalTo());
                ownLabels.keySet().removeAll(SCRAPE_LABELS);
                if (!samples.isEmpty() && scrape.find(selector.metric(), ownLabels).isEmpty()) {
                    problems.add(query.where() + " selects " + selector.metric() + ownLabels + ", which no series has");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theMetricNameFinderReadsSelectorsFunctionsAndGrouping() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le, kind) (rate(a_bucket{job=~\"$job\","
                + " kind=\"x\"}[$__rate_interval]))) / on (instance) group_left b_total and absent(c) > 1e3"))
                .containsExactly("a_bucket", "b_total", "c");
        assertThat(PromQl.selectors("max by (stream) (lag{stream=\"s\", job=~\"$job\"})")).singleElement()
                .satisfies(selector -> {
                    assertThat(selector.metric()).isEqualTo("lag");
                    assertThat(selector.equalTo()).containsExactly(Map.entry("stream", "s"));
                    assertThat(selector.labelsMatched()).containsExactly("stream", "job");
                });
    }
}
