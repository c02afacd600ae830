package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.fail;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of one property: every try's status counted, every answer that breaks the rule
 * grouped by what is wrong and by the family of the value, keeping the shortest request of each
 * group (the smallest example, since these generators do not shrink). The property fails with one
 * line per group, so a run shows every class of failure at once, not only the first.
 */
final class PropertyRun {

    private final String name;
    private final long seed;
    private final Map<String, Integer> statuses = new TreeMap<>();
    private final Map<String, Failure> failures = new LinkedHashMap<>();
    private int tries;

    private static final class Failure {
        int count;
        String request;
        String answer;
    }

    PropertyRun(String name) {
        this.name = name;
        this.seed = Hostile.seedOf(name);
    }

    /** Records one try: the request as sent (abbreviated in reports), its answer and the verdict. */
    void record(String family, String request, RawHttp.Response response, String problem) {
        tries++;
        statuses.merge(response.answered() ? Integer.toString(response.status()) : "none", 1, Integer::sum);
        if (problem == null) {
            return;
        }
        String key = problem.replaceAll("\\d{3,}", "N").replaceAll("id [0-9a-f-]{36}", "id ...") + " [" + family + "]";
        Failure failure = failures.computeIfAbsent(key, k -> new Failure());
        failure.count++;
        if (failure.request == null || request.length() < failure.request.length()) {
            failure.request = request;
            failure.answer = response.toString();
        }
    }

    /** Fails the property if any try broke the rule; prints the status counts either way. */
    void verify() {
        System.out.printf("[hostile] %s: %d tries, seed %d, statuses %s%n", name, tries, seed, statuses);
        if (failures.isEmpty()) {
            return;
        }
        StringBuilder report = new StringBuilder(name).append(": ").append(failures.size())
                .append(" kinds of answer break the rule (2xx or 4xx; a 4xx is JSON with \"error\"; an export body"
                        + " is complete) in ").append(tries).append(" tries, seed ").append(seed)
                .append(" (-Dhostile.seed=").append(Hostile.BASE_SEED).append(" repeats it); statuses ")
                .append(statuses).append(':');
        failures.forEach((key, failure) -> report.append("\n  - ").append(key).append(": ").append(failure.count)
                .append(" times; shortest: ").append(abbreviate(failure.request, 240)).append("\n      -> ")
                .append(abbreviate(failure.answer, 240)));
        fail(report.toString());
    }

    static String abbreviate(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length - 20) + "...(" + text.length() + " chars)";
    }
}
