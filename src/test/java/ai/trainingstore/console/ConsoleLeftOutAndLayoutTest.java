package ai.trainingstore.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * Issue 21 in the console, in a real headless Chromium: the conversation viewer says why the
 * datasets leave a conversation out; the ingest-rate chart spans the last minute on first load,
 * not years; the builder's placeholders show whole; the analytics days read as the UTC days
 * (YYYY-MM-DD) their labels speak of, not in the browser's locale format.
 */
@QuarkusTest
class ConsoleLeftOutAndLayoutTest extends ConsoleTestSupport {


    @Test
    void theViewerSaysWhyTheDatasetsLeaveAConversationOutAndNothingForOneTheyKeep() {
        String skipped = unique("left-out");
        String kept = unique("kept");
        xadd(MESSAGES, "conversation_id", skipped, "message_id", skipped + "-m1", "role", "user", "content", "Run it", "seq", "1");
        xadd(MESSAGES, "data", "{\"conversation_id\":\"" + skipped + "\",\"message_id\":\"" + skipped + "-m2\","
                + "\"role\":\"assistant\",\"content\":\"\",\"seq\":2,\"tool_calls\":[{\"id\":\"" + skipped + "-call\","
                + "\"type\":\"function\",\"function\":{\"name\":\"run\",\"arguments\":\"{}\"}}]}");
        xadd(MESSAGES, "conversation_id", skipped, "message_id", skipped + "-m3", "role", "assistant", "content", "Done.", "seq", "3");
        xadd(MESSAGES, "conversation_id", kept, "message_id", kept + "-m1", "role", "user", "content", "Hi", "seq", "1");
        xadd(MESSAGES, "conversation_id", kept, "message_id", kept + "-m2", "role", "assistant", "content", "Hello", "seq", "2");
        awaitRows(3, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", skipped);
        awaitRows(2, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", kept);

        browser.open(console, "#/conversations?conversation_id=" + skipped, ConsoleTest.TOKEN);
        WebElement leftOut = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cv-left-out")));
        assertThat(leftOut.getText()).isEqualTo("left out of datasets: unanswered_tool_call (call '" + skipped
                + "-call' of assistant message '" + skipped + "-m2' has no tool result before the next user or assistant message)");
        assertThat(browser.driver.findElement(By.id("cv-left-out-slot")).getAttribute("data-datasets")).isEqualTo("left-out");

        browser.open(console, "#/conversations?conversation_id=" + kept, ConsoleTest.TOKEN);
        browser.wait.until(ExpectedConditions.attributeToBe(By.id("cv-left-out-slot"), "data-datasets", "included"));
        assertThat(browser.driver.findElements(By.id("cv-left-out"))).isEmpty();
    }

    @Test
    void theIngestRateAxisSpansTheLastMinuteOnFirstLoad() {
        // One sample a minute: the chart is drawn from the first sample alone, with no rate yet.
        browser.open(console, "#/overview?refresh=60", ConsoleTest.TOKEN);
        WebElement chart = browser.wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#overview-chart[data-x-max]")));
        assertThat(chart.getAttribute("data-points")).isEqualTo("0");
        long min = Long.parseLong(chart.getAttribute("data-x-min"));
        long max = Long.parseLong(chart.getAttribute("data-x-max"));
        long now = System.currentTimeMillis() / 1000;
        assertThat(max - min).as("the x axis spans a minute").isEqualTo(60);
        assertThat(max).as("ending now").isBetween(now - 30, now + 5);
    }

    @Test
    void theBuildersPlaceholdersShowWholeAtEveryWidth() {
        for (int width : List.of(1280, 400)) {
            browser.size(width, 900);
            browser.open(console, "#/export", ConsoleTest.TOKEN);
            browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("ex-from")));
            Map<String, Double> cut = placeholdersCut();
            assertThat(cut).as("placeholders wider than their field at %d px: {id: pixels missing}", width).isEmpty();
            assertThat(browser.driver.findElement(By.id("ex-from")).getAttribute("placeholder")).isNotBlank();
        }
        browser.size(1280, 800);
    }

    @Test
    void theAnalyticsDaysReadAsUtcDaysInTheFormatTheApiTakes() {
        browser.open(console, "#/analytics", ConsoleTest.TOKEN);
        WebElement from = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("an-from")));
        WebElement to = browser.driver.findElement(By.id("an-to"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (WebElement day : List.of(from, to)) {
            // A date input shows the browser's locale format (03/31/2026) whatever its value: a text field shows its value.
            assertThat(day.getAttribute("type")).isEqualTo("text");
            assertThat(day.getAttribute("placeholder")).isEqualTo("YYYY-MM-DD");
            assertThat(day.getAttribute("value")).matches("\\d{4}-\\d{2}-\\d{2}");
        }
        assertThat(from.getAttribute("value")).isEqualTo(today.minusDays(29).toString());
        assertThat(placeholdersCut()).isEmpty();

        from.sendKeys(Keys.chord(Keys.CONTROL, "a"), "2026-01-05");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("an-curl"), "from=2026-01-05&to="));
        // A day in another format is refused by the field itself, before any request, saying why.
        from.sendKeys(Keys.chord(Keys.CONTROL, "a"), "01/05/2026");
        browser.driver.findElement(By.id("an-show")).click();
        assertThat(browser.script("return arguments[0].validity.patternMismatch", from)).isEqualTo(true);
        assertThat((String) browser.script("return arguments[0].validationMessage", from)).isNotBlank();
    }

    /** Shown inputs of the page whose placeholder is wider than the room for text, with the pixels missing. */
    @SuppressWarnings("unchecked")
    private Map<String, Double> placeholdersCut() {
        return (Map<String, Double>) browser.script(
                "const canvas = document.createElement('canvas').getContext('2d');"
                + "const cut = {};"
                + "for (const input of document.querySelectorAll('#main input[placeholder]')) {"
                + "  if (input.getClientRects().length === 0) { continue; }" // hidden (say, a section not offered yet)
                + "  const style = getComputedStyle(input);"
                + "  canvas.font = style.font;"
                + "  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);"
                + "  const needed = canvas.measureText(input.placeholder).width;"
                + "  if (needed > room) { cut[input.id] = needed - room; }"
                + "}"
                + "return cut;");
    }
}
