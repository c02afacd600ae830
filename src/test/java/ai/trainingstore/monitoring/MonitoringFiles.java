package ai.trainingstore.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The monitoring overlay's dashboard and alert rules, as the tests read them. */
final class MonitoringFiles {

    static final Path OVERLAY = Path.of("k8s", "overlays", "monitoring");
    static final Path DASHBOARD = OVERLAY.resolve("dashboard.json");
    static final Path PROMETHEUS_RULE = OVERLAY.resolve("prometheusrule.yaml");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    /** One PromQL expression and where it comes from. */
    record Query(String where, String expr) {
    }

    private MonitoringFiles() {
    }

    static JsonNode dashboard() {
        try {
            return JSON.readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new AssertionError(DASHBOARD + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    static JsonNode prometheusRule() {
        try {
            return YAML.readTree(PROMETHEUS_RULE.toFile());
        } catch (IOException e) {
            throw new AssertionError(PROMETHEUS_RULE + " is not valid YAML: " + e.getMessage(), e);
        }
    }

    /** The PrometheusRule's spec: a plain Prometheus rules file ({@code groups: ...}). */
    static JsonNode rulesFile() {
        return prometheusRule().path("spec");
    }

    /** The rules file without annotations (promtool's unit tests compare annotations too). */
    static JsonNode rulesFileWithoutAnnotations() {
        JsonNode rules = rulesFile().deepCopy();
        rules.path("groups").forEach(group -> group.path("rules").forEach(rule -> ((ObjectNode) rule).remove("annotations")));
        return rules;
    }

    /** Every panel that is not a row (rows only group panels). */
    static List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        dashboard().path("panels").forEach(panel -> {
            if (!panel.path("type").asText().equals("row")) {
                panels.add(panel);
            }
            panel.path("panels").forEach(panels::add);
        });
        return panels;
    }

    static List<Query> dashboardQueries() {
        List<Query> queries = new ArrayList<>();
        for (JsonNode panel : panels()) {
            panel.path("targets").forEach(target -> queries.add(new Query("panel '" + panel.path("title").asText() + "' "
                    + target.path("refId").asText(), target.path("expr").asText())));
        }
        return queries;
    }

    /** The metric of each {@code label_values(metric, label)} template variable. */
    static List<Query> templatingQueries() {
        List<Query> queries = new ArrayList<>();
        dashboard().at("/templating/list").forEach(variable -> {
            String definition = variable.path("definition").asText();
            if (definition.startsWith("label_values(")) {
                String argument = definition.substring("label_values(".length(), definition.lastIndexOf(','));
                queries.add(new Query("variable $" + variable.path("name").asText(), argument));
            }
        });
        return queries;
    }

    static List<Query> ruleQueries() {
        List<Query> queries = new ArrayList<>();
        rulesFile().path("groups").forEach(group -> group.path("rules").forEach(rule ->
                queries.add(new Query("rule " + rule.path("alert").asText(rule.path("record").asText()),
                        rule.path("expr").asText()))));
        return queries;
    }
}
