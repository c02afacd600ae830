package ai.trainingstore.console;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.tokens.TiktokenReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.RestAssured;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The export builder's dataset options in a real headless Chromium: max_tokens, tokenizer and
 * dedup go into the request (and the curl command), and the summary's token distribution is shown
 * as text and as a chart whose figures are tiktoken's counts of the lines.
 */
@QuarkusTest
class ConsoleTokensTest extends ConsoleTestSupport {

    @Test
    void theBuilderSendsTheTokenOptionsAndChartsTheSummarysTokens() {
        String conversation = unique("console-tokens");
        xadd(MESSAGES, "conversation_id", conversation, "role", "user", "content", "Count me, 你好 😀", "seq", "1");
        xadd(MESSAGES, "conversation_id", conversation, "role", "assistant", "content", "Counted.", "seq", "2");
        awaitRows(2, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", conversation);
        String line = RestAssured.given().auth().oauth2(ConsoleTest.TOKEN).queryParam("conversation_id", conversation)
                .get("/api/v1/datasets/conversations").asString();
        long tokens = TiktokenReference.chatLines(List.of(json(line)), "cl100k_base").get(0);

        browser.open(console, "#/export?kind=dataset:conversations&conversation_id=" + conversation, ConsoleTest.TOKEN);
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), conversation));
        assertThat(browser.driver.findElement(By.id("ex-dataset-options")).isDisplayed()).isTrue();
        browser.driver.findElement(By.id("ex-max-tokens")).sendKeys(Long.toString(tokens));
        new Select(browser.driver.findElement(By.id("ex-tokenizer"))).selectByValue("cl100k_base");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), "tokenizer=cl100k_base"));
        assertThat(browser.driver.findElement(By.id("ex-curl")).getText()).contains("max_tokens=" + tokens)
                .doesNotContain("dedup=");
        browser.driver.findElement(By.id("ex-summary")).click();
        browser.wait.until(driver -> driver.findElement(By.id("ex-tokens-chart")).getAttribute("data-max") != null);
        JsonNode shown = json("{\"min\":" + attribute("min") + ",\"median\":" + attribute("median") + ",\"p95\":"
                + attribute("p95") + ",\"max\":" + attribute("max") + "}");
        for (String figure : List.of("min", "median", "p95", "max")) {
            assertThat(shown.get(figure).asLong()).as(figure).isEqualTo(tokens);
        }
        assertThat(browser.driver.findElements(By.cssSelector("#ex-tokens-chart canvas"))).isNotEmpty();
        assertThat(browser.driver.findElement(By.id("ex-summary-text")).getText())
                .contains("1 lines", "cl100k_base", "max " + tokens);

        // One token less leaves the line out, and the summary says so.
        browser.driver.findElement(By.id("ex-max-tokens")).clear();
        browser.driver.findElement(By.id("ex-max-tokens")).sendKeys(Long.toString(tokens - 1));
        browser.driver.findElement(By.id("ex-summary")).click();
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-summary-text"), "0 lines, 1 left out"));

        // dedup is offered for conversations only, and passed on as chosen.
        new Select(browser.driver.findElement(By.id("ex-dedup"))).selectByValue("exact");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), "dedup=exact"));
        new Select(browser.driver.findElement(By.id("ex-kind"))).selectByValue("dataset:trajectories");
        browser.wait.until(driver -> !driver.findElement(By.id("ex-curl")).getText().contains("dedup="));
        assertThat(browser.driver.findElement(By.id("ex-dedup")).isDisplayed()).isFalse();
        new Select(browser.driver.findElement(By.id("ex-kind"))).selectByValue("events");
        assertThat(browser.driver.findElement(By.id("ex-dataset-options")).isDisplayed()).isFalse();
        assertThat(browser.driver.findElement(By.id("ex-curl")).getText()).doesNotContain("max_tokens", "tokenizer");
    }

    private String attribute(String figure) {
        return browser.driver.findElement(By.id("ex-tokens-chart")).getAttribute("data-" + figure);
    }
}
