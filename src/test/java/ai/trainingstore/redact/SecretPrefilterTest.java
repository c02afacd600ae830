package ai.trainingstore.redact;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The cheap conditions that let a secret rule skip a text before RE2/J runs it: an operator near
 * one of the rule's keywords for assignment-shaped rules, and a JWT-like token right after the
 * keyword. They must never skip a text the rule matches (the corpus test holds every catch); here,
 * which rules get them, and texts on both sides of each condition.
 */
class SecretPrefilterTest {

    private static final Map<String, SecretRules.Rule> RULES = SecretRules.load().rules.stream()
            .collect(Collectors.toMap(SecretRules.Rule::id, Function.identity(), (a, b) -> a));
    private static final Redaction SECRET = Redaction.parse("secret");

    @Test
    void assignmentRulesWhoseKeywordsStandBeforeTheOperatorAreCheckedNearTheirKeywords() {
        assertThat(RULES.get("generic-api-key").operatorNearKeyword()).as("passw(?:or)?d reads as password and passwd").isTrue();
        assertThat(RULES.get("credential-assignment").operatorNearKeyword()).isTrue();
        // Its keyword atatt3 is part of the value, after the operator: no window can be drawn from it.
        assertThat(RULES.get("atlassian-api-token").operatorNearKeyword()).isFalse();
        assertThat(RULES.get("github-pat").operatorNearKeyword()).isFalse();
        assertThat(SecretRules.operatorNearKeyword("(?i)(?:foo)[ \\t]{0,5}(?:=|:=|=>|:)([a-z]{3,})", List.of("bar")))
                .as("a keyword the pattern does not write before its operator").isFalse();
    }

    @Test
    void onlyAPatternStartingWithBoundaryKeywordAndTokenGetsTheTokenCondition() {
        assertThat(RULES.get("jwt").tokenAfterKeyword()).isEqualTo(17);
        assertThat(RULES.get("github-pat").tokenAfterKeyword()).isZero();
        assertThat(RULES.get("generic-api-key").tokenAfterKeyword()).isZero();
    }

    @Test
    void assignmentsAreStillFoundWhereverTheOperatorStandsWithinReach() {
        assertThat(SECRET.text("password=hunter2")).isEqualTo("password=[REDACTED_SECRET]");
        assertThat(SECRET.text("the db password is set: db_password   =  'Xk29fLq0PzWm'"))
                .isEqualTo("the db password is set: db_password   =  '[REDACTED_SECRET]'");
        assertThat(SECRET.text("MY_SERVICE_API_KEY_FOR_PROD_ENV_2 := \"Qm9vTXlTZWNyZXQxMjM0NTY3\""))
                .contains("[REDACTED_SECRET]").doesNotContain("Qm9vTXlTZWNyZXQxMjM0NTY3");
        String far = "key " + "x".repeat(200) + " = Qm9vTXlTZWNyZXQxMjM0NTY3";
        assertThat(SECRET.text(far)).as("an operator far from every keyword is no assignment to it").isEqualTo(far);
        assertThat(SECRET.text("a key ghp_Xk29fLq0PzWmQ81vB7nT4cR2yH6jK0sD3fG5 here"))
                .isEqualTo("a key [REDACTED_SECRET] here");
    }

    @Test
    void jwtsAreFoundAndWordsHoldingEyAreSkipped() {
        String jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
                + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assertThat(SECRET.text("Authorization header was " + jwt + " today")).doesNotContain(jwt);
        assertThat(SECRET.text(jwt)).isEqualTo("[REDACTED_SECRET]");
        String words = "they keyed the survey money into the journey log";
        assertThat(SECRET.text(words)).isEqualTo(words);
    }
}
