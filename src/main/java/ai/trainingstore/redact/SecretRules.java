package ai.trainingstore.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The secret rules, read from gitleaks' rule file ({@code redaction/gitleaks.toml}, gitleaks'
 * default configuration, MIT, see {@code redaction/gitleaks-LICENSE}) and the store's few own rules
 * in the same format ({@code redaction/store-rules.toml}). Gitleaks writes its patterns for Go's
 * RE2 engine, and RE2/J is its Java port, so they compile as they are and match in linear time.
 *
 * <p>What of the format applies to a text value: {@code regex}, {@code keywords} (a rule runs
 * only when one occurs, case-insensitively), {@code entropy} (the secret's Shannon entropy must be
 * above it), the secret being the first non-empty capture group (else the whole match), and
 * allowlists of {@code regexes} (on the secret, or the {@code match} or {@code line} by
 * {@code regexTarget}) and {@code stopwords}, joined by {@code condition} OR (default) or AND.
 * What needs a file or a commit ({@code path} rules, path and commit allowlists) cannot apply to
 * a value and is left out.
 */
final class SecretRules {

    private static final Logger LOG = Logger.getLogger(SecretRules.class);

    static final String GITLEAKS = "redaction/gitleaks.toml";
    static final String STORE = "redaction/store-rules.toml";

    enum Target { SECRET, MATCH, LINE }

    record Allowlist(Target target, List<Pattern> regexes, List<String> stopwords, boolean all) {

        boolean allows(String secret, String match, String line) {
            String subject = switch (target) {
                case SECRET -> secret;
                case MATCH -> match;
                case LINE -> line;
            };
            Boolean byRegex = regexes.isEmpty() ? null : regexes.stream().anyMatch(regex -> regex.matcher(subject).find());
            Boolean byStopword = null;
            if (!stopwords.isEmpty()) {
                String lower = secret.toLowerCase(Locale.ROOT);
                byStopword = stopwords.stream().anyMatch(lower::contains);
            }
            if (byRegex == null && byStopword == null) {
                return false;
            }
            if (all) {
                return (byRegex == null || byRegex) && (byStopword == null || byStopword);
            }
            return Boolean.TRUE.equals(byRegex) || Boolean.TRUE.equals(byStopword);
        }
    }

    /**
     * @param assignment the pattern is gitleaks' "keyword, operator, value" shape (about half the
     *        rules): it can only match where an operator is followed by a value of 10 characters
     *        or more, which {@link SecretDetector} checks in one cheap pass before running it
     * @param operatorNearKeyword the pattern puts one of its keywords, then at most a few dozen
     *        characters, then an operator ({@code = : > | , ?}): it can only match where an
     *        operator follows a keyword within {@link #OPERATOR_REACH} characters (checked the same way)
     * @param tokenAfterKeyword when above 0, the pattern starts with a word boundary, a keyword and
     *        at least this many ASCII letters or digits ({@code \\b(ey[a-zA-Z0-9]{17,}}): it can
     *        only match at such a keyword
     */
    record Rule(String id, Pattern regex, List<String> keywords, double entropy, List<Allowlist> allowlists,
                boolean assignment, boolean operatorNearKeyword, int tokenAfterKeyword) {
    }

    /** The operator part of gitleaks' assignment-shaped rules, as written in its file. */
    static final String ASSIGNMENT_OPERATOR = "(?:=|>|:{1,3}=|\\|\\||:|=>|\\?=|,)[\\x60'\"\\s=]{0,5}(";
    /** The operator part of the store's credential-assignment rule. */
    static final String CREDENTIAL_OPERATOR = "(?:=|:=|=>|:)";
    /**
     * How far after the start of a keyword the operator of an assignment-shaped rule can stand:
     * the keyword's alternative (gitleaks' are at most ~20 characters), up to 20 name characters
     * and 3 quotes or blanks ({@code (?:[ \\t\\w.-]{0,20})[\\s'"]{0,3}}), with room to spare.
     */
    static final int OPERATOR_REACH = 100;
    private static final java.util.regex.Pattern TOKEN_START =
            java.util.regex.Pattern.compile("^\\\\b\\((?:\\?:)?([a-z0-9_]+)\\[a-zA-Z0-9\\]\\{(\\d+),");

    final List<Rule> rules;
    /** The file's global allowlist, applied to every rule's secrets. */
    final List<Allowlist> global;

    private SecretRules(List<Rule> rules, List<Allowlist> global) {
        this.rules = List.copyOf(rules);
        this.global = List.copyOf(global);
    }

    static SecretRules load() {
        List<Rule> rules = new ArrayList<>();
        List<Allowlist> global = new ArrayList<>();
        for (String resource : List.of(GITLEAKS, STORE)) {
            JsonNode file = read(resource);
            JsonNode allowlist = file.path("allowlist");
            if (allowlist.isObject()) {
                allowlist(allowlist, resource).ifPresent(global::add);
            }
            for (JsonNode rule : file.path("rules")) {
                rule(rule, resource).ifPresent(rules::add);
            }
        }
        LOG.debugf("Secret redaction: %d rules", rules.size());
        return new SecretRules(rules, global);
    }

    private static Optional<Rule> rule(JsonNode rule, String resource) {
        String id = rule.path("id").asText();
        if (!rule.hasNonNull("regex") || rule.has("path")) {
            return Optional.empty(); // a rule on file paths: nothing to match in a value
        }
        List<String> keywords = new ArrayList<>();
        rule.path("keywords").forEach(keyword -> keywords.add(keyword.asText().toLowerCase(Locale.ROOT)));
        List<Allowlist> allowlists = new ArrayList<>();
        JsonNode lists = rule.has("allowlists") ? rule.path("allowlists") : rule.path("allowlist");
        if (lists.isObject()) {
            allowlist(lists, resource + " " + id).ifPresent(allowlists::add);
        } else {
            lists.forEach(list -> allowlist(list, resource + " " + id).ifPresent(allowlists::add));
        }
        String regex = rule.path("regex").asText();
        return Optional.of(new Rule(id, compile(regex, resource + " " + id),
                keywords, rule.path("entropy").asDouble(0), allowlists, regex.contains(ASSIGNMENT_OPERATOR),
                operatorNearKeyword(regex, keywords), tokenAfterKeyword(regex, keywords)));
    }

    /**
     * Whether every keyword of the rule is written in its pattern before the operator, so that a
     * match holds a keyword followed by its operator within {@link #OPERATOR_REACH} characters.
     * A rule whose keywords stand elsewhere (after the operator, or not at all) is not checked
     * this way. An optional group ({@code passw(?:or)?d}) is read both with and without its text.
     */
    static boolean operatorNearKeyword(String regex, List<String> keywords) {
        int operator = regex.indexOf(ASSIGNMENT_OPERATOR);
        if (operator < 0) {
            operator = regex.indexOf(CREDENTIAL_OPERATOR);
        }
        if (operator < 0 || keywords.isEmpty()) {
            return false;
        }
        String before = regex.substring(0, operator).toLowerCase(Locale.ROOT);
        String without = before.replaceAll("\\(\\?:[a-z]+\\)\\?", "");
        String with = before.replaceAll("\\(\\?:([a-z]+)\\)\\?", "$1");
        return keywords.stream().allMatch(keyword -> without.contains(keyword) || with.contains(keyword));
    }

    /** The letters or digits a pattern wants right after its keyword (see {@link Rule}), or 0. */
    static int tokenAfterKeyword(String regex, List<String> keywords) {
        java.util.regex.Matcher start = TOKEN_START.matcher(regex);
        if (keywords.size() != 1 || !start.find() || !start.group(1).equals(keywords.get(0))) {
            return 0;
        }
        return Integer.parseInt(start.group(2));
    }

    private static Optional<Allowlist> allowlist(JsonNode list, String where) {
        boolean all = list.path("condition").asText("OR").equalsIgnoreCase("AND");
        boolean needsFile = list.has("paths") || list.has("commits");
        if (all && needsFile) {
            return Optional.empty(); // can only hold together with a file path or commit
        }
        Target target = switch (list.path("regexTarget").asText("secret")) {
            case "match" -> Target.MATCH;
            case "line" -> Target.LINE;
            default -> Target.SECRET;
        };
        List<Pattern> regexes = new ArrayList<>();
        list.path("regexes").forEach(regex -> regexes.add(compile(regex.asText(), where + " allowlist")));
        List<String> stopwords = new ArrayList<>();
        list.path("stopwords").forEach(word -> stopwords.add(word.asText().toLowerCase(Locale.ROOT)));
        if (regexes.isEmpty() && stopwords.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Allowlist(target, regexes, stopwords, all));
    }

    private static Pattern compile(String regex, String where) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            // The files ship with the service: a pattern that does not compile is a build defect.
            throw new IllegalStateException("Secret rule " + where + " does not compile with RE2/J: " + e.getMessage(), e);
        }
    }

    private static JsonNode read(String resource) {
        try (InputStream in = SecretRules.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Secret rule file " + resource + " is missing from the classpath");
            }
            return new TomlMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Secret rule file " + resource + " does not parse as TOML", e);
        }
    }
}
