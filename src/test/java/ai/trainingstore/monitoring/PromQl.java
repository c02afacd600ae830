package ai.trainingstore.monitoring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL to find what an expression reads: the metric names and the label matchers
 * of each selector. Not a parser; enough for the expressions this project writes (checked by
 * {@link MonitoringQueriesTest#theMetricNameFinderReadsSelectorsFunctionsAndGrouping}).
 */
final class PromQl {

    /** A selector {@code name{label op "value", ...}}. */
    record Selector(String metric, Map<String, String> equalTo, Set<String> labelsMatched) {
    }

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Pattern SELECTOR = Pattern.compile("(?<![\\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PromQl() {
    }

    static Set<String> metricNames(String expr) {
        String bare = GROUPING.matcher(RANGE.matcher(MATCHERS.matcher(STRING.matcher(expr).replaceAll("\"\""))
                .replaceAll("")).replaceAll("")).replaceAll("");
        Set<String> names = new LinkedHashSet<>();
        Matcher matcher = IDENTIFIER.matcher(bare);
        while (matcher.find()) {
            boolean function = matcher.group(2) != null;
            if (!function && !KEYWORDS.contains(matcher.group(1))) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    static List<Selector> selectors(String expr) {
        List<Selector> selectors = new ArrayList<>();
        Matcher matcher = SELECTOR.matcher(expr);
        while (matcher.find()) {
            Map<String, String> equalTo = new LinkedHashMap<>();
            Set<String> matched = new LinkedHashSet<>();
            Matcher label = MATCHER.matcher(matcher.group(2));
            while (label.find()) {
                matched.add(label.group(1));
                if (label.group(2).equals("=") && !label.group(3).contains("$")) {
                    equalTo.put(label.group(1), label.group(3));
                }
            }
            selectors.add(new Selector(matcher.group(1), equalTo, matched));
        }
        return selectors;
    }
}
