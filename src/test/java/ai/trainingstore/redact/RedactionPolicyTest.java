package ai.trainingstore.redact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.trainingstore.config.StoreConfig;
import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** training-store.redaction.always: read at start-up, joined to every request, an invalid list stops start-up. */
class RedactionPolicyTest {

    private static RedactionPolicy policy(String always) {
        StoreConfig.Redaction redaction = () -> Optional.ofNullable(always);
        StoreConfig config = (StoreConfig) Proxy.newProxyInstance(StoreConfig.class.getClassLoader(),
                new Class<?>[] {StoreConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("redaction")) {
                        return redaction;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new RedactionPolicy(config);
    }

    @Test
    void theForcedClassesAreJoinedToWhateverARequestAsks() {
        RedactionPolicy policy = policy("email,secret");
        assertThat(policy.effective(Redaction.none()).classes()).containsExactlyInAnyOrder(RedactClass.EMAIL, RedactClass.SECRET);
        assertThat(policy.effective(Redaction.parse("ip")).classes())
                .containsExactlyInAnyOrder(RedactClass.EMAIL, RedactClass.SECRET, RedactClass.IP);
    }

    @Test
    void unsetOrBlankForcesNothing() {
        assertThat(policy(null).effective(Redaction.none()).isNone()).isTrue();
        assertThat(policy("  ").effective(Redaction.none()).isNone()).isTrue();
    }

    @Test
    void anInvalidListFailsStartUpNamingTheKeyAndTheValidValues() {
        assertThatThrownBy(() -> policy("email,passport")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("training-store.redaction.always").hasMessageContaining("'passport'")
                .hasMessageContaining("email, phone, ip, card, secret, or all");
    }
}
