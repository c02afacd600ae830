package ai.trainingstore.redact;

/**
 * Finds the values of one {@link RedactClass} in a text. Implementations are stateless and
 * thread-safe, and run in time linear in the text (no backtracking regular expressions).
 */
interface Detector {

    /**
     * A cheap test that is false only when the text cannot hold a match (no '@' for an email, too
     * few digits for a phone number): it lets most values skip the real search.
     */
    boolean mayMatch(CharSequence text);

    /** Adds the span of every match in the text. */
    void find(String text, Spans spans);
}
