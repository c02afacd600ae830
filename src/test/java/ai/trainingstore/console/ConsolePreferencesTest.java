package ai.trainingstore.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The preferences dataset in a real headless Chromium (contract 6.3): the export builder offers it
 * with its own options and previews its lines; the conversation viewer shows each feedback
 * correction right under the assistant message it corrects.
 */
@QuarkusTest
class ConsolePreferencesTest extends ConsoleTestSupport {

    @Test
    void theBuilderPreviewsPreferencePairsAndTheViewerShowsCorrectionsBesideTheirMessages() {
        String conversation = unique("console-prefs");
        String firstAnswer = conversation + "-a1";
        String lastAnswer = conversation + "-a2";
        xadd(MESSAGES, "conversation_id", conversation, "message_id", conversation + "-u1", "role", "user",
                "content", "Add 2 and 2", "seq", "1");
        xadd(MESSAGES, "conversation_id", conversation, "message_id", firstAnswer, "role", "assistant", "content", "5",
                "seq", "2");
        xadd(MESSAGES, "conversation_id", conversation, "message_id", conversation + "-u2", "role", "user",
                "content", "Are you sure?", "seq", "3");
        xadd(MESSAGES, "conversation_id", conversation, "message_id", lastAnswer, "role", "assistant",
                "content", "Yes, 5.", "seq", "4");
        xadd(FEEDBACK, "target_kind", "message", "target_id", firstAnswer, "name", "correctness", "value", "0",
                "source", "human", "feedback_id", conversation + "-fb-message", "correction", "\"2 + 2 = 4\"");
        xadd(FEEDBACK, "target_kind", "conversation", "target_id", conversation, "name", "review", "label", "bad",
                "source", "reviewer", "feedback_id", conversation + "-fb-conversation",
                "correction", "{\"content\": \"No: it is 4, I was wrong.\"}");
        awaitRows(4, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", conversation);
        awaitRows(2, "SELECT feedback_id FROM training_data.training_feedback WHERE feedback_id LIKE ?",
                conversation + "-fb-%");

        // The builder: preferences with its options, TRL format, a preview of the two correction pairs.
        browser.open(console, "#/export?kind=dataset:preferences&conversation_id=" + conversation, ConsoleTest.TOKEN);
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), conversation));
        assertThat(browser.driver.findElement(By.id("ex-preference-options")).isDisplayed()).isTrue();
        assertThat(new Select(browser.driver.findElement(By.id("ex-format"))).getOptions())
                .extracting(option -> option.getAttribute("value")).containsExactly("openai", "trl", "kto");
        new Select(browser.driver.findElement(By.id("ex-format"))).selectByValue("trl");
        new Select(browser.driver.findElement(By.id("ex-pairs"))).selectByValue("corrections");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), "pairs=corrections"));
        assertThat(browser.driver.findElement(By.id("ex-curl")).getText())
                .contains("/api/v1/datasets/preferences?", "format=trl");
        browser.driver.findElement(By.id("ex-preview")).click();
        browser.wait.until(driver -> driver.findElements(By.cssSelector("#ex-table tbody tr")).size() == 2);
        List<WebElement> heads = browser.driver.findElements(By.cssSelector("#ex-table thead th"));
        assertThat(heads).extracting(WebElement::getText).containsExactly("prompt", "chosen", "rejected");
        String table = browser.driver.findElement(By.id("ex-table")).getText();
        assertThat(table).contains("2 + 2 = 4", "No: it is 4, I was wrong.", "Yes, 5.");
        browser.driver.findElement(By.id("ex-summary")).click();
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-summary-text"), "2 lines"));
        assertThat(browser.driver.findElement(By.id("ex-summary-text")).getText()).contains("corrections 2", "ranked 0");

        // score and margin go into the request; another dataset neither shows nor sends them.
        browser.driver.findElement(By.id("ex-score")).sendKeys("correctness");
        browser.driver.findElement(By.id("ex-margin")).sendKeys("0.25");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), "margin=0.25"));
        assertThat(browser.driver.findElement(By.id("ex-curl")).getText()).contains("score=correctness");
        new Select(browser.driver.findElement(By.id("ex-kind"))).selectByValue("dataset:conversations");
        browser.wait.until(driver -> !driver.findElement(By.id("ex-curl")).getText().contains("score="));
        assertThat(browser.driver.findElement(By.id("ex-curl")).getText()).doesNotContain("margin=", "pairs=");
        assertThat(browser.driver.findElement(By.id("ex-preference-options")).isDisplayed()).isFalse();

        // The viewer: each correction right after the message it corrects.
        browser.open(console, "#/conversations?conversation_id=" + conversation, ConsoleTest.TOKEN);
        browser.wait.until(driver -> driver.findElements(By.cssSelector("aside.correction-note")).size() == 2);
        assertThat(correctedMessage(conversation + "-fb-message")).isEqualTo(firstAnswer);
        assertThat(correctedMessage(conversation + "-fb-conversation")).isEqualTo(lastAnswer);
        assertThat(note(conversation + "-fb-message").getText()).contains("Correction", "correctness", "2 + 2 = 4");
        assertThat(note(conversation + "-fb-conversation").getText())
                .contains("review", "on the conversation", "No: it is 4, I was wrong.");
    }

    private WebElement note(String feedbackId) {
        return browser.driver.findElement(By.cssSelector("aside.correction-note[data-feedback-id='" + feedbackId + "']"));
    }

    /** The message id of the chat card just before the correction (what the reader sees it beside). */
    private String correctedMessage(String feedbackId) {
        return (String) ((JavascriptExecutor) browser.driver).executeScript(
                "const note = document.querySelector(\"aside.correction-note[data-feedback-id='\" + arguments[0] + \"']\");"
                        + " return note.previousElementSibling.dataset.messageId;", feedbackId);
    }
}
