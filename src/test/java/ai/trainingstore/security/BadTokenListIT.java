package ai.trainingstore.security;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.faults.FaultScenario;
import ai.trainingstore.faults.ServiceProcess;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The packaged service given a token list with an unknown scope does not start (contract 5): it
 * exits non-zero with a message naming the setting and the entry, and never prints the token.
 * Before, it started and answered every request 500.
 */
class BadTokenListIT {

    private static final String SECRET = "b4dT0k3nN3v3rPr1nt3d";

    @Test
    void anUnknownScopeStopsStartUpWithAMessageNamingTheSettingButNotTheToken() throws Exception {
        try (FaultScenario scenario = new FaultScenario();
             ServiceProcess service = new ServiceProcess(scenario, "bad-tokens")
                     .with("TRAINING_STORE_TOKENS", "g00dT0k3n:export," + SECRET + ":export+delete")) {
            service.launch();
            OptionalInt exit = service.awaitExit(Duration.ofSeconds(90));
            String log = service.logText();
            assertThat(exit).as("the service exits by itself; its log:%n%s", log).isPresent();
            assertThat(exit.getAsInt()).as("exit code").isNotZero();
            assertThat(log).contains("TRAINING_STORE_TOKENS").contains("training-store.tokens").contains("entry 2")
                    .doesNotContain(SECRET).doesNotContain("g00dT0k3n");
            assertThat(service.httpStatus("/q/health/live")).isEqualTo(-1);
        }
    }
}
