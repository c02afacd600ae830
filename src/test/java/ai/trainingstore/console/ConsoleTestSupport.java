package ai.trainingstore.console;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.common.http.TestHTTPResource;
import java.io.IOException;
import java.net.URL;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the console's browser tests share: a fresh headless Chromium per test, closed after it,
 * and no error in the browser's console but those a test provokes on purpose.
 */
abstract class ConsoleTestSupport extends StoreTestSupport {

    @TestHTTPResource("/console/")
    URL console;

    Browser browser;
    /** Console errors a test provokes on purpose (a request refused with 401, say). */
    Predicate<String> expectedErrors = message -> false;

    @BeforeEach
    void openBrowser() throws IOException {
        browser = Browser.start();
    }

    @AfterEach
    void noConsoleErrorsAndCloseBrowser() throws IOException {
        if (browser == null) {
            return;
        }
        try {
            assertThat(browser.consoleErrors(expectedErrors)).as("errors in the browser console").isEmpty();
        } finally {
            browser.close();
        }
    }
}
