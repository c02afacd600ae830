package ai.trainingstore.redact;

import ai.trainingstore.redact.SecretRules.Allowlist;
import ai.trainingstore.redact.SecretRules.Rule;
import com.google.re2j.Matcher;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Credentials of a known shape, by the rules of {@link SecretRules} (gitleaks' default rules and
 * the store's own): cloud access keys, GitHub/GitLab/Slack/Stripe/OpenAI-style tokens, JWTs, PEM
 * private keys, {@code password=} / {@code api_key=} / {@code token=} assignments, bearer
 * headers. Only the secret (a rule's first non-empty group) is replaced, so {@code password=x}
 * becomes {@code password=[REDACTED_SECRET]}.
 *
 * <p>Rules run only when one of their keywords is in the text. The keywords are found in one
 * pass, by their first two characters, so a value without any costs one scan whatever the number
 * of rules.
 */
final class SecretDetector implements Detector {

    static final SecretDetector INSTANCE = new SecretDetector(SecretRules.load());

    private final SecretRules rules;
    /**
     * Keywords by their first two lower-case ASCII characters ({@code first * 128 + second}), each
     * with the rules it triggers; a flat table, as this lookup runs for every character of a value.
     */
    private final Keyword[][] keywordsByPair = new Keyword[128 * 128][];
    /** Rules without keywords: they always run. */
    private final List<Integer> alwaysRun = new ArrayList<>();

    private record Keyword(String text, int[] rules) {
    }

    private SecretDetector(SecretRules rules) {
        this.rules = rules;
        Map<String, List<Integer>> byKeyword = new HashMap<>();
        for (int i = 0; i < rules.rules.size(); i++) {
            List<String> keywords = rules.rules.get(i).keywords();
            if (keywords.isEmpty() || keywords.stream().anyMatch(keyword -> keyword.length() < 2)) {
                alwaysRun.add(i);
            }
            for (String keyword : keywords) {
                byKeyword.computeIfAbsent(keyword, k -> new ArrayList<>()).add(i);
            }
        }
        Map<Integer, List<Keyword>> byPair = new HashMap<>();
        byKeyword.forEach((keyword, ruleIndexes) -> {
            if (keyword.length() >= 2 && keyword.charAt(0) < 128 && keyword.charAt(1) < 128) {
                byPair.computeIfAbsent(pair(keyword.charAt(0), keyword.charAt(1)), p -> new ArrayList<>())
                        .add(new Keyword(keyword, ruleIndexes.stream().mapToInt(Integer::intValue).toArray()));
            } else if (keyword.length() >= 2) {
                ruleIndexes.forEach(alwaysRun::add); // not ASCII: the table cannot hold it, so always run
            }
        });
        byPair.forEach((pair, keywords) -> keywordsByPair[pair] = keywords.toArray(Keyword[]::new));
    }

    /**
     * A JSON value under a key that names a credential ({@code "password": "..."}, {@code "api_key"},
     * {@code "client_secret"}, {@code "access_token"}, {@code "Authorization"}): the whole value is
     * the secret, unless it is a placeholder ({@code null}, {@code ***}, {@code ${VAR}}) by the
     * allowlist of the store's {@code credential-assignment} rule. Keys that only contain such a
     * word ({@code token_count}, {@code secret_name}, {@code keyboard}) do not count.
     */
    void findAssigned(String key, String value, Spans spans) {
        if (!CREDENTIAL_KEY.matcher(key).matches()) {
            return;
        }
        for (Rule rule : rules.rules) {
            if (rule.id().equals(ASSIGNMENT_RULE)
                    && rule.allowlists().stream().anyMatch(list -> list.allows(value, value, value))) {
                return;
            }
        }
        spans.add(0, value.length(), RedactClass.SECRET);
    }

    private static final String ASSIGNMENT_RULE = "credential-assignment";
    private static final com.google.re2j.Pattern CREDENTIAL_KEY = com.google.re2j.Pattern.compile(
            "(?i)[\\w.-]*?(?:password|passwd|passphrase|pwd|secret|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key"
                    + "|secret[_.-]?key|access[_.-]?token|auth[_.-]?token|refresh[_.-]?token|id[_.-]?token|session[_.-]?token"
                    + "|bearer[_.-]?token|token|authorization|credentials?)");

    private static int pair(char first, char second) {
        return lower(first) * 128 + lower(second);
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    @Override
    public boolean mayMatch(CharSequence text) {
        return !alwaysRun.isEmpty() || triggered(text, true) != null;
    }

    @Override
    public void find(String text, Spans spans) {
        BitSet triggered = triggered(text, false);
        if (triggered == null) {
            triggered = new BitSet();
        }
        alwaysRun.forEach(triggered::set);
        for (int i = triggered.nextSetBit(0); i >= 0; i = triggered.nextSetBit(i + 1)) {
            match(rules.rules.get(i), text, spans);
        }
    }

    /** The rules whose keywords occur in the text (null for none); with {@code first}, stops at the first. */
    private BitSet triggered(CharSequence text, boolean first) {
        BitSet found = null;
        for (int i = 0; i + 1 < text.length(); i++) {
            char c1 = text.charAt(i);
            char c2 = text.charAt(i + 1);
            if (c1 >= 128 || c2 >= 128) {
                continue;
            }
            Keyword[] candidates = keywordsByPair[pair(c1, c2)];
            if (candidates == null) {
                continue;
            }
            for (Keyword keyword : candidates) {
                if (startsWithIgnoringAsciiCase(text, i, keyword.text())) {
                    if (found == null) {
                        found = new BitSet();
                    }
                    for (int rule : keyword.rules()) {
                        found.set(rule);
                    }
                    if (first) {
                        return found;
                    }
                }
            }
        }
        return found;
    }

    private static boolean startsWithIgnoringAsciiCase(CharSequence text, int at, String lowerKeyword) {
        if (at + lowerKeyword.length() > text.length()) {
            return false;
        }
        for (int k = 0; k < lowerKeyword.length(); k++) {
            if (lower(text.charAt(at + k)) != lowerKeyword.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private void match(Rule rule, String text, Spans spans) {
        // RE2/J costs microseconds per character on these large patterns: skip what cannot match.
        if (rule.assignment() && !hasAssignment(text)) {
            return;
        }
        if (rule.operatorNearKeyword() && !operatorNearKeyword(rule, text)) {
            return;
        }
        if (rule.tokenAfterKeyword() > 0 && !tokenAfterKeyword(rule, text)) {
            return;
        }
        Matcher matcher = rule.regex().matcher(text);
        while (matcher.find()) {
            int start = matcher.start();
            int end = matcher.end();
            for (int group = 1; group <= matcher.groupCount(); group++) {
                if (matcher.start(group) >= 0 && matcher.end(group) > matcher.start(group)) {
                    start = matcher.start(group);
                    end = matcher.end(group);
                    break;
                }
            }
            String secret = text.substring(start, end);
            if (rule.entropy() > 0 && (entropy(secret) <= rule.entropy()
                    || (rule.id().startsWith("generic") && secret.chars().noneMatch(Character::isDigit)))) {
                continue; // gitleaks' rule: a generic secret needs a digit as well as its entropy
            }
            if (allowed(rule, secret, text, matcher.start(), matcher.end())) {
                continue;
            }
            spans.add(start, end, RedactClass.SECRET);
        }
    }

    private boolean allowed(Rule rule, String secret, String text, int matchStart, int matchEnd) {
        String match = null;
        String line = null;
        for (List<Allowlist> lists : List.of(rules.global, rule.allowlists())) {
            for (Allowlist list : lists) {
                if (match == null) {
                    match = text.substring(matchStart, matchEnd);
                    int lineStart = matchStart == 0 ? 0 : text.lastIndexOf('\n', matchStart - 1) + 1;
                    int lineEnd = text.indexOf('\n', matchEnd);
                    line = text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd);
                }
                if (list.allows(secret, match, line)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether an operator ({@code = : > | , ?}) follows one of the rule's keywords within
     * {@link SecretRules#OPERATOR_REACH} characters: the windows around the keywords are the only
     * places an assignment-shaped rule can match (see {@link Rule#operatorNearKeyword()}).
     */
    private static boolean operatorNearKeyword(Rule rule, String text) {
        for (String keyword : rule.keywords()) {
            for (int hit = indexOfIgnoringAsciiCase(text, keyword, 0); hit >= 0;
                 hit = indexOfIgnoringAsciiCase(text, keyword, hit + 1)) {
                int end = Math.min(text.length(), hit + SecretRules.OPERATOR_REACH);
                for (int i = hit + keyword.length(); i < end; i++) {
                    char c = text.charAt(i);
                    if (c == '=' || c == ':' || c == '>' || c == '|' || c == ',' || c == '?') {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Whether the rule's keyword stands at a word boundary followed by at least
     * {@link Rule#tokenAfterKeyword()} ASCII letters or digits (see there): JWTs start {@code ey},
     * which "key", "they" or "survey" hold too.
     */
    private static boolean tokenAfterKeyword(Rule rule, String text) {
        String keyword = rule.keywords().get(0);
        for (int hit = indexOfIgnoringAsciiCase(text, keyword, 0); hit >= 0;
             hit = indexOfIgnoringAsciiCase(text, keyword, hit + 1)) {
            if (hit > 0 && isWordChar(text.charAt(hit - 1))) {
                continue;
            }
            int run = 0;
            int at = hit + keyword.length();
            while (at + run < text.length() && run < rule.tokenAfterKeyword() && isAsciiLetterOrDigit(text.charAt(at + run))) {
                run++;
            }
            if (run >= rule.tokenAfterKeyword()) {
                return true;
            }
        }
        return false;
    }

    private static int indexOfIgnoringAsciiCase(String text, String lowerKeyword, int from) {
        for (int i = from; i + lowerKeyword.length() <= text.length(); i++) {
            if (startsWithIgnoringAsciiCase(text, i, lowerKeyword)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isWordChar(char c) {
        return isAsciiLetterOrDigit(c) || c == '_';
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /**
     * Whether the text has what every assignment-shaped gitleaks rule needs: an operator
     * ({@code = > : | , ?}), up to five quotes, blanks or {@code =}, then 10 or more characters of
     * a value ({@code [\\w.=+/-]}). A necessary condition only; the rule's pattern decides.
     */
    static boolean hasAssignment(String text) {
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c != '=' && c != '>' && c != ':' && c != '|' && c != ',' && c != '?') {
                continue;
            }
            int at = i + 1;
            int skipped = 0;
            while (at < length && skipped < 5 && isSkippable(text.charAt(at))) {
                at++;
                skipped++;
            }
            int value = 0;
            while (at + value < length && value < 10 && isValueChar(text.charAt(at + value))) {
                value++;
            }
            if (value >= 10) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSkippable(char c) {
        return c == '`' || c == '\'' || c == '"' || c == '=' || Character.isWhitespace(c);
    }

    private static boolean isValueChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
                || c == '=' || c == '-' || c == '+' || c == '/';
    }

    /** Shannon entropy of the text's characters, in bits per character. */
    static double entropy(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        Map<Character, Integer> counts = new HashMap<>();
        for (int i = 0; i < text.length(); i++) {
            counts.merge(text.charAt(i), 1, Integer::sum);
        }
        double entropy = 0;
        for (int count : counts.values()) {
            double p = (double) count / text.length();
            entropy -= p * (Math.log(p) / Math.log(2));
        }
        return entropy;
    }
}
