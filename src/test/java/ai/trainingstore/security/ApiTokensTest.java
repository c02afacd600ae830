package ai.trainingstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.trainingstore.config.StoreConfig;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Unit test of token parsing ({@code training-store.tokens}, contract section 5): a
 * comma-separated list of {@code <token>:<scopes>} with scopes {@code export}, {@code ingest} and
 * {@code admin} joined with {@code +}; a presented token gets its scopes and a label, never the token; a
 * malformed list refuses to start, with a message that never shows a token.
 */
class ApiTokensTest {

    /** A configuration whose only setting is the token list. */
    private static StoreConfig config(String tokens) {
        return (StoreConfig) Proxy.newProxyInstance(StoreConfig.class.getClassLoader(), new Class<?>[] {StoreConfig.class},
                (proxy, method, arguments) -> {
                    if (method.getName().equals("tokens")) {
                        return Optional.ofNullable(tokens);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static ApiTokens tokens(String tokens) {
        return new ApiTokens(config(tokens));
    }

    @Test
    void eachTokenGetsItsScopesAndALabel() {
        ApiTokens tokens = tokens("k8Fq2x:export+ingest,Zr7uu1:export,w9:ingest,both:ingest+export");
        assertThat(tokens.anyConfigured()).isTrue();
        assertThat(tokens.lookUp("k8Fq2x")).contains(new ApiTokens.Grant("token-1", Set.of("export", "ingest")));
        assertThat(tokens.lookUp("Zr7uu1")).contains(new ApiTokens.Grant("token-2", Set.of("export")));
        assertThat(tokens.lookUp("w9")).contains(new ApiTokens.Grant("token-3", Set.of("ingest")));
        assertThat(tokens.lookUp("both").orElseThrow().scopes()).containsExactlyInAnyOrder(ApiTokens.EXPORT, ApiTokens.INGEST);
    }

    @Test
    void adminIsAScopeOfItsOwnOrBesideTheOthers() {
        ApiTokens tokens = tokens("op:admin,lead:export+ingest+admin,agent:ingest");
        assertThat(tokens.lookUp("op")).contains(new ApiTokens.Grant("token-1", Set.of(ApiTokens.ADMIN)));
        assertThat(tokens.lookUp("lead").orElseThrow().scopes())
                .containsExactlyInAnyOrder(ApiTokens.EXPORT, ApiTokens.INGEST, ApiTokens.ADMIN);
        assertThat(tokens.lookUp("agent").orElseThrow().scopes()).doesNotContain(ApiTokens.ADMIN);
    }

    @Test
    void anyOtherTextIsNoToken() {
        ApiTokens tokens = tokens("k8Fq2x:export");
        for (String presented : List.of("", "k8fq2x", "K8Fq2x", "k8Fq2x ", " k8Fq2x", "k8Fq2", "k8Fq2xx",
                "k8Fq2x:export", "export")) {
            assertThat(tokens.lookUp(presented)).as("'%s'", presented).isEmpty();
        }
    }

    @Test
    void whitespaceAroundEntriesAndEmptyEntriesAreIgnored() {
        ApiTokens tokens = tokens(" a1:export , ,b2:ingest,\n");
        assertThat(tokens.lookUp("a1")).contains(new ApiTokens.Grant("token-1", Set.of("export")));
        assertThat(tokens.lookUp("b2")).contains(new ApiTokens.Grant("token-2", Set.of("ingest")));
    }

    @Test
    void aTokenMayHoldAColonTheScopesFollowTheLastOne() {
        ApiTokens tokens = tokens("abc:def:export");
        assertThat(tokens.lookUp("abc:def")).contains(new ApiTokens.Grant("token-1", Set.of("export")));
        assertThat(tokens.lookUp("abc")).isEmpty();
    }

    @Test
    void withoutTokensNothingIsConfiguredAndNothingGetsIn() {
        for (String none : new String[] {null, "", " ", ",", " , "}) {
            ApiTokens tokens = tokens(none);
            assertThat(tokens.anyConfigured()).as("'%s'", none).isFalse();
            assertThat(tokens.lookUp("")).isEmpty();
            assertThat(tokens.lookUp("anything")).isEmpty();
        }
    }

    @Test
    void aMalformedEntryRefusesToStartWithoutShowingAToken() {
        List<String> malformed = List.of("s3cr3t", "s3cr3t:", ":export", "s3cr3t:Admin", "s3cr3t:Export",
                "s3cr3t:export+delete", "s3cr3t:+export", "s3cr3t:export+", "s3cr3t:export ingest", "s3cr3t:read",
                "s3cr3t:admin:read", "export:s3cr3t", "ingest+admin:s3cr3t");
        for (String entry : malformed) {
            assertThatThrownBy(() -> tokens("good1:export," + entry)).as(entry)
                    .isInstanceOf(IllegalArgumentException.class)
                    .message().contains("training-store.tokens").contains("TRAINING_STORE_TOKENS").contains("entry 2")
                    .doesNotContain("s3cr3t")
                    .doesNotContain("good1");
        }
    }

    @Test
    void aScopeNamedTwiceIsRefusedWithoutShowingTheToken() {
        for (String twice : List.of("s3cr3t:export+export", "s3cr3t:admin+ingest+admin")) {
            assertThatThrownBy(() -> tokens(twice)).as(twice).isInstanceOf(IllegalArgumentException.class)
                    .message().contains("entry 1").contains("repeated").doesNotContain("s3cr3t");
        }
    }

    @Test
    void theLabelNeverHoldsTheToken() {
        ApiTokens tokens = tokens("export:export");
        assertThat(tokens.lookUp("export").orElseThrow().label()).isEqualTo("token-1");
    }
}
