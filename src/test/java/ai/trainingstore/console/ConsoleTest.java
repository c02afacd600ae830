package ai.trainingstore.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The operator console in a real headless Chromium against the running test application: what
 * it shows is what the API answers, its actions do what the API does, and the browser logs no
 * error. Screenshots of each page go to target/console-screenshots (docs/ with
 * -Dconsole.screenshots=docs).
 */
@QuarkusTest
class ConsoleTest extends ConsoleTestSupport {

    private static final String FEEDBACK_STREAM = ai.trainingstore.support.LocalServices.stream("feedback");

    static final String TOKEN = "test-all-token";
    static final List<String> FIELDS = List.of("rows", "stream_length", "pending", "lag", "dead_letters");

    @TempDir
    Path work;

    @Test
    void theConsoleIsServedWithoutATokenAndTheApiStillNeedsOne() {
        given().get("/console/").then().statusCode(200).contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("default-src 'self'"))
                .body(containsString("Training data store"));
        given().get("/console/js/app.js").then().statusCode(200).header("Cache-Control", "no-cache");
        given().redirects().follow(false).get("/console").then().statusCode(301).header("Location", "console/");
        given().get("/webjars/uplot/dist/uPlot.esm.js").then().statusCode(200);
        given().get("/api/v1/stats").then().statusCode(401);
    }

    @Test
    void theOverviewShowsTheNumbersOfTheStatsEndpointAndTheIngestRate() throws IOException {
        String agent = unique("overview");
        for (int i = 0; i < 3; i++) {
            xadd(EVENTS, "event_type", "overview_test", "agent_id", agent);
        }
        awaitRows(3, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        open("#/overview?refresh=1");
        browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#overview-table tr[data-kind='events']")));

        // Rows are counted over the shared tables, which other suites may write to meanwhile:
        // compare until a page refresh and a stats call see the same state.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            Map<String, Map<String, Long>> shown = shownFigures();
            JsonPath stats = given().auth().oauth2(TOKEN).get("/api/v1/stats").then().statusCode(200).extract().jsonPath();
            Map<String, Object> kinds = stats.getMap("kinds");
            assertThat(shown.keySet()).containsExactlyInAnyOrderElementsOf(kinds.keySet());
            for (String kind : kinds.keySet()) {
                for (String field : FIELDS) {
                    Long expected = stats.get("kinds." + kind + "." + field) == null ? null
                            : stats.getLong("kinds." + kind + "." + field);
                    assertThat(shown.get(kind).get(field)).as(kind + " " + field).isEqualTo(expected);
                }
            }
            assertThat(totalShown("dead_letters")).isEqualTo(stats.getLong("dead_letters"));
        });
        // Samples one second apart draw the rate chart; some ingest meanwhile gives it a shape.
        browser.wait.until(driver -> driver.findElements(By.cssSelector("#overview-chart canvas")).size() > 0);
        for (int burst = 0; burst < 4; burst++) {
            List<Map<String, String>> entries = new ArrayList<>();
            for (int i = 0; i < 150 * (burst + 1); i++) {
                entries.add(fields("event_type", "overview_rate", "agent_id", agent));
            }
            xaddTogether(EVENTS, entries);
            int points = chartPoints();
            await().atMost(TIMEOUT).until(() -> chartPoints() > points + 1);
        }
        int drawn = chartPoints();
        await().atMost(TIMEOUT).until(() -> chartPoints() >= drawn + 2);
        assertThat(browser.driver.findElements(By.cssSelector("#overview-chart .u-legend .u-series")))
                .extracting(WebElement::getText).anyMatch(text -> text.startsWith("events"));
        browser.screenshot("console-overview", 1280, 1000);

        browser.size(400, 860);
        await().atMost(TIMEOUT).until(() -> ((Number) script(
                "return document.getElementById('overview-table').getBoundingClientRect().width")).doubleValue() <= 400);
        assertThat(((Number) script("return document.querySelector(\"#overview-table tr[data-kind='events']\")"
                + ".getBoundingClientRect().right")).doubleValue()).as("a row fits the narrow screen").isLessThanOrEqualTo(400);
        assertThat(pageWidth()).as("no horizontal scrolling at 400 px").isLessThanOrEqualTo(400);
        browser.screenshot("console-overview-narrow", 400, 1000);
    }

    @Test
    void aDeadLetterAppearsWithItsReasonAndReplayStoresAGoodOneAndReportsABadOne() throws IOException {
        String marker = unique("no-agent");
        String bad = xadd(EVENTS, "event_type", marker, "payload", "{\"step\":1}");
        awaitDeadLetters(1, List.of(bad));
        // A dead letter that is valid on replay, as the consumer writes one at the delivery limit.
        String agent = unique("replayed");
        String sourceId = (1_600_000_000_000L + System.nanoTime() % 100_000_000_000L) + "-3";
        String good = xadd(DEAD_LETTER, "source_stream", EVENTS, "source_id", sourceId,
                "error", "The entry was delivered 6 times without being stored", "error_code", "delivery_limit",
                "delivery_count", "6", "event_type", "recovered", "agent_id", agent);

        open("#/dead-letters");
        WebElement badCard = findDeadLetter(bad);
        assertThat(badCard.findElement(By.cssSelector("[data-code]")).getText()).isEqualTo("missing_field");
        assertThat(badCard.findElement(By.cssSelector(".reason")).getText()).contains("agent_id");
        badCard.findElement(By.tagName("summary")).click();
        assertThat(badCard.findElement(By.cssSelector(".fields")).getText()).contains("event_type", marker, "payload");

        // Filtered by error code: only that code is listed, and "replay all" becomes "replay the shown".
        new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("dl-filter"))).selectByValue("delivery_limit");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("dl-replay-all"), "shown"));
        assertThat(browser.driver.findElements(By.cssSelector("#dl-list [data-code]")))
                .extracting(WebElement::getText).isNotEmpty().containsOnly("delivery_limit");
        new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("dl-filter"))).selectByValue("");
        badCard = findDeadLetter(bad);
        browser.screenshot("console-dead-letters", 1280, 1000);

        String badId = badCard.getAttribute("data-id");
        badCard.findElement(By.cssSelector("button[data-replay]")).click();
        WebElement stillBad = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#dl-still-bad li")));
        assertThat(stillBad.getText()).contains("agent_id");
        assertThat(stillBad.getAttribute("data-id")).isEqualTo(badId);
        assertThat(findDeadLetter(bad).getAttribute("data-id")).as("still listed").isEqualTo(badId);

        WebElement goodCard = findDeadLetter(sourceId);
        assertThat(goodCard.getAttribute("data-id")).isEqualTo(good);
        goodCard.findElement(By.cssSelector("button[data-replay]")).click();
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("dl-replayed"), good));
        var rows = awaitRows(1, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        assertThat(rows.get(0)).containsEntry("event_id", EVENTS + "/" + sourceId);
        await().atMost(TIMEOUT).until(() -> browser.driver.findElements(
                By.cssSelector("article[data-source-id='" + sourceId + "']")).isEmpty());
    }

    @Test
    void aConversationShowsItsToolCallsWithArgumentsAndResults() throws IOException {
        String conversation = unique("conv");
        String task = unique("task");
        String executed = unique("call-exec");
        String answered = unique("call-msg");
        xadd(MESSAGES, "conversation_id", conversation, "role", "user", "content", "Fix the failing test", "seq", "1",
                "task_id", task, "agent_id", "agent-console");
        xadd(MESSAGES, "data", "{\"conversation_id\":\"" + conversation + "\",\"role\":\"assistant\",\"content\":\"\",\"seq\":2,"
                + "\"task_id\":\"" + task + "\",\"tool_calls\":[{\"id\":\"" + executed + "\",\"type\":\"function\","
                + "\"function\":{\"name\":\"run_tests\",\"arguments\":\"{\\\"path\\\":\\\"src/test\\\"}\"}},"
                + "{\"id\":\"" + answered + "\",\"type\":\"function\",\"function\":{\"name\":\"read_file\","
                + "\"arguments\":\"{\\\"file\\\":\\\"Main.java\\\"}\"}}]}");
        xadd(MESSAGES, "conversation_id", conversation, "role", "tool", "content", "class Main {}", "seq", "3",
                "tool_call_id", answered);
        xadd(MESSAGES, "conversation_id", conversation, "role", "assistant", "content", "All 12 tests pass now.", "seq", "4");
        xadd(TOOL_EXECUTIONS, "execution_id", executed, "agent_id", "agent-console", "tool_name", "run_tests",
                "task_id", task, "status", "ok", "duration_ms", "840", "output_result", "{\"passed\":12,\"failed\":0}");
        xadd(FEEDBACK_STREAM, "target_kind", "conversation", "target_id", conversation, "name", "thumbs",
                "label", "up", "value", "1", "source", "human", "comment", "solved it");
        xadd(FEEDBACK_STREAM, "target_kind", "conversation", "target_id", conversation, "name", "style",
                "label", "verbose", "source", "reviewer", "correction",
                "{\"content\": \"12 tests pass.\", \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\"}]}");
        awaitRows(4, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", conversation);
        awaitStoredRow(Kind.TOOL_EXECUTION, executed);
        awaitRows(2, "SELECT feedback_id FROM training_data.training_feedback WHERE target_id = ?", conversation);

        open("#/conversations?conversation_id=" + conversation);
        WebElement chat = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cv-chat")));
        assertThat(chat.findElements(By.cssSelector("article.msg"))).extracting(message -> message.getAttribute("data-role"))
                .as("messages in seq order; the tool message sits with its call").containsExactly("user", "assistant", "assistant");
        WebElement run = chat.findElement(By.cssSelector(".toolcall[data-call-id='" + executed + "']"));
        assertThat(run.findElement(By.cssSelector(".name")).getText()).isEqualTo("run_tests");
        assertThat(run.findElement(By.cssSelector(".arguments")).getText()).contains("\"path\": \"src/test\"");
        assertThat(run.findElement(By.cssSelector("[data-result-of]")).getText()).contains("tool execution", "ok", "840 ms",
                "\"passed\": 12");
        WebElement read = chat.findElement(By.cssSelector(".toolcall[data-call-id='" + answered + "']"));
        assertThat(read.findElement(By.cssSelector(".name")).getText()).isEqualTo("read_file");
        assertThat(read.findElement(By.cssSelector("[data-result-of]")).getText()).contains("tool message", "class Main {}");
        assertThat(chat.getText()).contains("Fix the failing test", "All 12 tests pass now.");
        WebElement feedback = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cv-feedback")));
        assertThat(feedback.getText()).as("the conversation's feedback").contains("thumbs", "up", "human", "solved it");
        assertThat(feedback.findElements(By.cssSelector("td.correction"))).extracting(WebElement::getText)
                .as("each row's correction, compact JSON").containsExactlyInAnyOrder("",
                        "{\"content\":\"12 tests pass.\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\"}]}");
        browser.screenshot("console-conversation", 1280, 1200);

        // Found by its task id as well (a single conversation opens directly).
        open("#/conversations?task_id=" + task);
        browser.wait.until(ExpectedConditions.attributeToBe(By.id("cv-chat"), "data-conversation", conversation));
        assertThat(browser.driver.findElements(By.cssSelector("#cv-chat article.msg"))).hasSize(3);
    }

    @Test
    void theExportBuildersCurlCommandReturnsTheRowsItShows() throws Exception {
        String agent = unique("export");
        for (int i = 0; i < 4; i++) {
            xadd(EVENTS, "event_type", "export_" + i, "agent_id", agent, "payload", "{\"i\":" + i + "}");
        }
        awaitRows(4, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        open("#/export?kind=events&agent_id=" + agent + "&limit=3");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), agent));
        browser.driver.findElement(By.id("ex-preview")).click();
        browser.wait.until(driver -> driver.findElements(By.cssSelector("#ex-table tbody tr")).size() == 3);
        List<String> shown = browser.driver.findElements(By.cssSelector("#ex-table tbody tr")).stream()
                .map(row -> row.getAttribute("data-identity")).toList();
        browser.screenshot("console-export-builder", 1280, 1000);

        String command = browser.driver.findElement(By.id("ex-curl")).getText();
        assertThat(command).startsWith("curl ").contains("Bearer $TOKEN", "agent_id=" + agent, "limit=3", "-o events.jsonl");
        // The command reads the token from $TOKEN, as the page tells the user to set it.
        runCurl(command);
        List<String> exported = new ArrayList<>();
        for (String line : Files.readAllLines(work.resolve("events.jsonl"))) {
            exported.add(json(line).get("event_id").asText());
        }
        assertThat(exported).isEqualTo(shown).hasSize(3);

        // Download: the browser saves the same export (fetched with the token, saved from a Blob).
        browser.driver.findElement(By.id("ex-download")).click();
        Path saved = browser.downloads.resolve("events.jsonl");
        await().atMost(TIMEOUT).until(() -> Files.exists(saved) && Files.size(saved) > 0);
        assertThat(Files.readAllLines(saved)).isEqualTo(Files.readAllLines(work.resolve("events.jsonl")));

        // CSV: the command changes with the format.
        new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("ex-format"))).selectByValue("csv");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), "format=csv"));
        assertThat(browser.driver.findElement(By.id("ex-curl")).getText()).endsWith("-o events.csv");
    }

    @Test
    void theBuilderOffersTheConversationsDatasetAndItsCurlCommandReturnsTheLinesShown() throws Exception {
        String conversation = unique("builder-conv");
        xadd(MESSAGES, "conversation_id", conversation, "role", "user", "content", "Which tests fail?", "seq", "1");
        xadd(MESSAGES, "conversation_id", conversation, "role", "assistant", "content", "None.", "seq", "2");
        awaitRows(2, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", conversation);

        open("#/export?kind=dataset:conversations&conversation_id=" + conversation + "&format=messages");
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), conversation));
        String command = browser.driver.findElement(By.id("ex-curl")).getText();
        assertThat(command).contains("/api/v1/datasets/conversations?", "format=messages", "-o conversations.jsonl");
        browser.driver.findElement(By.id("ex-preview")).click();
        browser.wait.until(driver -> driver.findElements(By.cssSelector("#ex-table tbody tr")).size() == 1);
        assertThat(browser.driver.findElement(By.cssSelector("#ex-table tbody tr")).getText())
                .contains("Which tests fail?", "None.");

        runCurl(command);
        List<String> lines = Files.readAllLines(work.resolve("conversations.jsonl"));
        assertThat(lines).hasSize(1);
        assertThat(json(lines.get(0)).get("messages").get(1).get("content").asText()).isEqualTo("None.");
    }

    @Test
    void theBuilderOffersTheTrajectoriesDatasetWithoutAFormatParameter() throws Exception {
        String task = unique("builder-task");
        xadd(TASKS, "task_id", task, "agent_id", "console-agent", "status", "completed");
        xadd(MESSAGES, "conversation_id", task, "task_id", task, "role", "user", "content", "Ship it.", "seq", "1");
        awaitRows(1, "SELECT message_id FROM training_data.training_messages WHERE task_id = ?", task);
        awaitRows(1, "SELECT task_id FROM training_data.training_tasks WHERE task_id = ?", task);

        open("#/export?kind=dataset:trajectories&task_id=" + task);
        browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ex-curl"), task));
        String command = browser.driver.findElement(By.id("ex-curl")).getText();
        assertThat(command).contains("/api/v1/datasets/trajectories?", "-o trajectories.jsonl").doesNotContain("format=");
        browser.driver.findElement(By.id("ex-preview")).click();
        browser.wait.until(driver -> driver.findElements(By.cssSelector("#ex-table tbody tr")).size() == 1);
        assertThat(browser.driver.findElement(By.cssSelector("#ex-table tbody tr")).getText())
                .contains("ATIF-v1.4", task, "Ship it.");
    }

    @Test
    void aWrongTokenShowsTheApisErrorText() {
        String apiError = given().auth().oauth2("wrong-token").get("/api/v1/stats").then().statusCode(401)
                .extract().jsonPath().getString("error");
        expectedErrors = message -> message.contains("/api/v1/stats") && message.contains("401");
        browser.driver.get(console + "#/overview");
        enterToken("wrong-token");
        WebElement error = browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertThat(error.getText()).isEqualTo(apiError);
        // The browser reports the refused request in its console: proof that console errors are seen at all.
        await().atMost(TIMEOUT).until(() -> browser.consoleErrors(message -> false).stream()
                .anyMatch(message -> message.contains("401")));
    }

    @Test
    void everyPageIsKeyboardReachableWithLabelledControls() {
        open("#/overview");
        for (String page : List.of("overview", "dead-letters", "export", "conversations", "analytics")) {
            open("#/" + page);
            browser.wait.until(driver -> driver.findElements(By.cssSelector("#main button, #main input")).size() > 0);
            @SuppressWarnings("unchecked")
            List<String> unlabelled = (List<String>) script(
                    "return [...document.querySelectorAll('input, select, textarea')]"
                    + ".filter(c => c.type !== 'hidden' && c.labels.length === 0 && !c.getAttribute('aria-label'))"
                    + ".map(c => c.id || c.outerHTML)"
                    + ".concat([...document.querySelectorAll('button')].filter(b => !b.textContent.trim()"
                    + " && !b.getAttribute('aria-label')).map(b => b.outerHTML))");
            assertThat(unlabelled).as("controls without a label on " + page).isEmpty();
            browser.size(400, 860);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(pageWidth())
                    .as("no horizontal scrolling of the " + page + " page at 400 px").isLessThanOrEqualTo(400));
            browser.size(1280, 800);
        }
        // From the top: the skip link, then the title and the pages' links, by Tab alone; Enter follows a link.
        browser.driver.get(console + "#/overview");
        browser.driver.navigate().refresh();
        browser.wait.until(driver -> "overview".equals(driver.findElement(By.id("main")).getAttribute("data-page")));
        org.openqa.selenium.interactions.Actions keys = new org.openqa.selenium.interactions.Actions(browser.driver);
        keys.sendKeys(org.openqa.selenium.Keys.TAB).perform();
        assertThat(browser.driver.switchTo().activeElement().getText()).isEqualTo("Skip to content");
        List<String> focused = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.sendKeys(org.openqa.selenium.Keys.TAB).perform();
            focused.add(browser.driver.switchTo().activeElement().getText());
        }
        assertThat(focused).containsSubsequence("Overview", "Dead letters", "Export builder", "Conversations",
                "Analytics");
        keys.sendKeys(org.openqa.selenium.Keys.ENTER).perform();
        browser.wait.until(driver -> "analytics".equals(driver.findElement(By.id("main")).getAttribute("data-page")));
        // Focus is visible: the focused link gets an outline.
        assertThat(browser.driver.switchTo().activeElement().getCssValue("outline-style")).isNotEqualTo("none");
    }

    @Test
    void theAnalyticsPageChartsEachViewAndItsTableHasTheApisRows() throws Exception {
        String agent = unique("analytics-console");
        String tool = unique("code_search");
        String hostileTool = unique("<img src=x onerror=alert(1)>");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        // Six days before today, each with its own counts, so every series has a shape.
        int[] eventsPerDay = {3, 5, 2, 6, 4, 7};
        int[] executionsPerDay = {2, 3, 1, 4, 2, 3};
        for (int back = 6; back >= 1; back--) {
            int i = 6 - back;
            String noon = today.minusDays(back) + "T12:00:00Z";
            for (int n = 0; n < eventsPerDay[i]; n++) {
                xadd(EVENTS, "event_type", "analytics_console", "agent_id", agent, "occurred_at", noon);
            }
            for (int n = 0; n < executionsPerDay[i]; n++) {
                xadd(TOOL_EXECUTIONS, "execution_id", unique("exec"), "agent_id", agent, "tool_name", tool,
                        "status", n == 0 && i % 2 == 0 ? "failed" : "ok", "duration_ms", String.valueOf(40 + 35 * n + 10 * i),
                        "occurred_at", noon);
            }
            xadd(TASKS, "task_id", unique("task"), "agent_id", agent, "task_type", "codegen",
                    "status", i % 3 == 2 ? "failed" : "completed", "occurred_at", noon);
            xadd(MESSAGES, "conversation_id", unique("conv"), "agent_id", agent, "role", "user", "content", "hi",
                    "occurred_at", noon);
            xadd(FEEDBACK_STREAM, "target_kind", "task", "target_id", unique("target"), "name", "tests_passed",
                    "value", String.valueOf(0.5 + i / 10.0), "agent_id", agent, "occurred_at", noon);
        }
        xadd(TOOL_EXECUTIONS, "execution_id", unique("exec"), "agent_id", agent, "tool_name", hostileTool,
                "status", "error", "duration_ms", "7", "occurred_at", today.minusDays(2) + "T08:00:00Z");
        awaitRows(27, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
        awaitRows(16, "SELECT 1 FROM training_data.training_tool_executions WHERE agent_id = ?", agent);
        awaitRows(6, "SELECT 1 FROM training_data.training_tasks WHERE agent_id = ?", agent);
        awaitRows(6, "SELECT 1 FROM training_data.training_messages WHERE agent_id = ?", agent);
        awaitRows(6, "SELECT 1 FROM training_data.training_feedback WHERE agent_id = ?", agent);

        open("#/analytics?agent_id=" + agent);
        // The default range: the last 30 days, today included (to is the first day left out).
        assertThat(browser.driver.findElement(By.id("an-from")).getAttribute("value")).isEqualTo(today.minusDays(29).toString());
        assertThat(browser.driver.findElement(By.id("an-to")).getAttribute("value")).isEqualTo(today.plusDays(1).toString());
        Map<String, String> range = Map.of("from", today.minusDays(29).toString(), "to", today.plusDays(1).toString(),
                "agent_id", agent);

        awaitTableOf("agent_daily");
        assertThat(shownRows()).isEqualTo(expectedRows("agent_daily", range)).hasSize(6);
        assertThat(legendLabels("activity")).containsExactly("day", "events", "tasks", "tool_executions", "tool_errors", "messages");
        assertThat(pixelsOf("activity", "#0b5cad")).as("the events line is drawn").isGreaterThan(50);
        // Hovering a day shows that day's sums in the legend: three days ago had eventsPerDay[3].
        Map<String, String> hovered = hover("activity", 26, 30);
        assertThat(hovered).containsEntry("day", today.minusDays(3).toString()).containsEntry("events", "6")
                .containsEntry("tool_executions", "4").containsEntry("messages", "1");
        String curl = browser.driver.findElement(By.id("an-curl")).getText();
        assertThat(curl).startsWith("curl ").contains("Bearer $TOKEN", "/api/v1/analytics/agent_daily?from=" + range.get("from")
                + "&to=" + range.get("to") + "&agent_id=" + agent);
        // The page's curl command prints the same rows; its CSV download saves them as CSV.
        assertThat(json(runCurl(curl))).isEqualTo(json(apiAnswer("agent_daily", range)));
        browser.driver.findElement(By.id("an-download")).click();
        Path saved = browser.downloads.resolve("agent_daily.csv");
        await().atMost(TIMEOUT).until(() -> Files.exists(saved) && Files.size(saved) > 0);
        Map<String, String> csv = new java.util.HashMap<>(range);
        csv.put("format", "csv");
        assertThat(Files.readString(saved)).isEqualTo(apiAnswer("agent_daily", csv));
        script("window.scrollTo(0, 0)");
        browser.screenshot("console-analytics", 1280, 1150);

        chooseView("tool_daily");
        awaitTableOf("tool_daily");
        assertThat(shownRows()).isEqualTo(expectedRows("tool_daily", range)).hasSize(7);
        assertThat(legendLabels("tool-executions")).containsExactly("day", tool, hostileTool);
        assertThat(legendLabels("tool-duration")).containsExactly("day", tool + " p50", tool + " p95",
                hostileTool + " p50", hostileTool + " p95");
        assertThat(browser.driver.findElement(By.id("an-chart-tool-error-rate")).getAttribute("data-series")).isEqualTo("2");
        // The hostile name is text in the legend and the table, never an element.
        assertThat(browser.driver.findElements(By.cssSelector("#an-table td[data-column='tool_name']")))
                .extracting(WebElement::getText).contains(hostileTool);
        assertThat(browser.driver.findElements(By.tagName("img"))).as("no element made from a tool name").isEmpty();
        assertThat(pixelsOf("tool-executions", "#0b5cad")).isGreaterThan(50);
        // Six days ago: one of two executions failed; the other tool ran on another day (a gap).
        assertThat(hover("tool-error-rate", 23, 30)).containsEntry("day", today.minusDays(6).toString())
                .containsEntry(tool, "50.0 %").containsEntry(hostileTool, "–");
        script("window.scrollTo(0, 0)");
        browser.screenshot("console-analytics-tools", 1280, 1500);

        chooseView("task_outcomes_daily");
        awaitTableOf("task_outcomes_daily");
        assertThat(shownRows()).isEqualTo(expectedRows("task_outcomes_daily", range)).hasSize(6);
        assertThat(legendLabels("task-status")).containsExactly("day", "completed", "failed");

        chooseView("feedback_daily");
        awaitTableOf("feedback_daily");
        assertThat(shownRows()).isEqualTo(expectedRows("feedback_daily", range)).hasSize(6);
        assertThat(legendLabels("feedback-mean")).containsExactly("day", "tests_passed (task)");
        assertThat(hover("feedback-mean", 29 - 6, 30)).containsEntry("tests_passed (task)", "0.5");

        // One day: one point. No start: the axis starts at the first day with rows (six days ago).
        open("#/analytics?view=agent_daily&from=" + today.minusDays(3) + "&to=" + today.minusDays(2) + "&agent_id=" + agent);
        awaitTableOf("agent_daily");
        assertThat(shownRows()).hasSize(1);
        assertThat(browser.driver.findElement(By.id("an-chart-activity")).getAttribute("data-points")).isEqualTo("1");
        assertThat(drawnAt("activity", "#0b5cad")).as("the day's point, in the middle").isBetween(0.4, 0.65);
        open("#/analytics?view=agent_daily&from=&to=" + today.plusDays(1) + "&agent_id=" + agent);
        // The one-day chart was of the same view: wait for this one.
        browser.wait.until(ExpectedConditions.attributeToBe(By.id("an-chart-activity"), "data-points", "7"));
        assertThat(hover("activity", 0, 7)).containsEntry("day", today.minusDays(6).toString()).containsEntry("events", "3");

        browser.size(400, 860);
        chooseView("tool_daily");
        awaitTableOf("tool_daily");
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(pageWidth())
                .as("no horizontal scrolling of the analytics page at 400 px, long tool names included").isLessThanOrEqualTo(400));
        chooseView("agent_daily");
        awaitTableOf("agent_daily");
        script("window.scrollTo(0, 0)");
        browser.screenshot("console-analytics-narrow", 400, 1400);
    }

    @Test
    void theAnalyticsPageShowsTheApisErrorsAndSaysWhenARangeIsEmpty() {
        String agent = unique("analytics-empty");
        expectedErrors = message -> message.contains("/api/v1/analytics/") && (message.contains("400") || message.contains("403"));
        String badRange = given().auth().oauth2(TOKEN).queryParam("from", "2026-03-10").queryParam("to", "2026-03-01")
                .get("/api/v1/analytics/agent_daily").then().statusCode(400).extract().jsonPath().getString("error");
        open("#/analytics?from=2026-03-10&to=2026-03-01");
        browser.wait.until(ExpectedConditions.textToBe(By.id("error"), badRange));
        assertThat(browser.driver.findElements(By.cssSelector("#an-table, #an-charts canvas"))).isEmpty();

        open("#/analytics?view=tool_daily&from=2001-01-01&to=2001-02-01&agent_id=" + agent);
        WebElement empty = browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("an-empty")));
        assertThat(empty.getText()).contains("Nothing was recorded", agent);
        assertThat(browser.driver.findElement(By.id("error")).isDisplayed()).isFalse();
        assertThat(browser.driver.findElement(By.id("an-status")).getText()).startsWith("No rows");

        // A token without the export scope: the API's 403 text.
        String forbidden = given().auth().oauth2("test-ingest-token").get("/api/v1/analytics/agent_daily").then()
                .statusCode(403).extract().jsonPath().getString("error");
        enterToken("test-ingest-token");
        open("#/analytics?view=feedback_daily");
        browser.wait.until(ExpectedConditions.textToBe(By.id("error"), forbidden));
    }

    // ---------------------------------------------------------------- helpers

    /** Opens a console page with the test token entered once (kept for the tab in sessionStorage). */
    private void open(String page) {
        browser.open(console, page, TOKEN);
    }

    private void enterToken(String token) {
        browser.enterToken(token);
    }

    /** The figures of the overview table, read in one script (the page refreshes them every second). */
    @SuppressWarnings("unchecked")
    private Map<String, Map<String, Long>> shownFigures() {
        Map<String, Map<String, String>> texts = (Map<String, Map<String, String>>) script(
                "const shown = {};"
                + "for (const row of document.querySelectorAll('#overview-table tbody tr')) {"
                + "  shown[row.dataset.kind] = {};"
                + "  for (const cell of row.querySelectorAll('td[data-field]')) {"
                + "    shown[row.dataset.kind][cell.dataset.field] = cell.textContent;"
                + "  }"
                + "}"
                + "return shown;");
        Map<String, Map<String, Long>> shown = new java.util.LinkedHashMap<>();
        texts.forEach((kind, figures) -> {
            Map<String, Long> numbers = new java.util.HashMap<>();
            figures.forEach((field, text) -> numbers.put(field, number(text)));
            shown.put(kind, numbers);
        });
        return shown;
    }

    /** Runs a curl command a page shows, with TOKEN set as the page tells the user; answers what it printed. */
    private String runCurl(String command) throws IOException, InterruptedException {
        ProcessBuilder run = new ProcessBuilder("bash", "-c", command).directory(work.toFile()).redirectErrorStream(true);
        run.environment().put("TOKEN", TOKEN);
        Process curl = run.start();
        curl.getOutputStream().close();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as("curl: " + output).isZero();
        return output;
    }

    private void chooseView(String view) {
        new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("an-view"))).selectByValue(view);
    }

    private void awaitTableOf(String view) {
        browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#an-table[data-view='" + view + "']")));
    }

    /** The analytics table's rows, each column's text by its name. */
    @SuppressWarnings("unchecked")
    private List<Map<String, String>> shownRows() {
        return (List<Map<String, String>>) script("return [...document.querySelectorAll('#an-table tbody tr')].map(row =>"
                + " Object.fromEntries([...row.cells].map(cell => [cell.dataset.column, cell.textContent])))");
    }

    /** The API's JSON rows for the same call, each value as the page writes it. */
    private List<Map<String, String>> expectedRows(String view, Map<String, String> parameters) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (JsonNode row : json(apiAnswer(view, parameters))) {
            Map<String, String> shown = new java.util.LinkedHashMap<>();
            row.fields().forEachRemaining(field -> shown.put(field.getKey(), shownAs(field.getValue())));
            rows.add(shown);
        }
        return rows;
    }

    private String apiAnswer(String view, Map<String, String> parameters) {
        return given().auth().oauth2(TOKEN).queryParams(parameters).get("/api/v1/analytics/" + view)
                .then().statusCode(200).extract().asString();
    }

    /** A value as the console writes it: numbers as toLocaleString('en-US') (at most 3 decimals), null as a dash. */
    private static String shownAs(JsonNode value) {
        if (value.isNull()) {
            return "–";
        }
        if (value.isNumber()) {
            DecimalFormat format = new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.US));
            format.setRoundingMode(RoundingMode.HALF_UP);
            return format.format(value.decimalValue());
        }
        if (value.isObject()) {
            List<String> entries = new ArrayList<>();
            value.fields().forEachRemaining(entry -> entries.add(entry.getKey() + ": " + shownAs(entry.getValue())));
            return String.join(", ", entries);
        }
        return value.asText();
    }

    @SuppressWarnings("unchecked")
    private List<String> legendLabels(String chart) {
        return (List<String>) script("return [...document.querySelectorAll('#an-chart-" + chart + " .u-legend .u-series"
                + " .u-label')].map(label => label.textContent)");
    }

    /** How many of the chart canvas' pixels have the series colour exactly (a line drawn in it). */
    private long pixelsOf(String chart, String color) {
        return ((Number) colouredPixels(chart, color).get("count")).longValue();
    }

    /** Where the series colour is drawn, on average, across the canvas: 0 its left edge, 1 its right. */
    private double drawnAt(String chart, String color) {
        Map<String, Object> found = colouredPixels(chart, color);
        return ((Number) found.get("x")).doubleValue() / ((Number) found.get("count")).doubleValue()
                / ((Number) found.get("width")).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> colouredPixels(String chart, String color) {
        return (Map<String, Object>) script("const canvas = document.querySelector('#an-chart-" + chart + " canvas');"
                + "const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;"
                + "const [r, g, b] = [1, 3, 5].map(i => parseInt('" + color + "'.slice(i, i + 2), 16));"
                + "let count = 0, x = 0;"
                + "for (let i = 0; i < pixels.length; i += 4) {"
                + "  if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b && pixels[i + 3] === 255) {"
                + "    count++; x += (i / 4) % canvas.width;"
                + "  }"
                + "}"
                + "return { count, x, width: canvas.width };");
    }

    /** The legend's values with the mouse over day index of days (the x axis spans the days exactly). */
    private Map<String, String> hover(String chart, int index, int days) {
        WebElement plot = browser.driver.findElement(By.cssSelector("#an-chart-" + chart + " .u-over"));
        int width = plot.getRect().getWidth();
        // Offsets are from the centre; the first and last day sit on the edges, so stay a pixel inside.
        int fromCentre = (int) Math.round(width * ((double) index / (days - 1) - 0.5));
        fromCentre = Math.max(1 - width / 2, Math.min(width / 2 - 1, fromCentre));
        new org.openqa.selenium.interactions.Actions(browser.driver).moveToElement(plot, fromCentre, 0).perform();
        // The legend follows the mouse on the next frame.
        await().atMost(TIMEOUT).until(() -> !"–".equals(legendValues(chart).get("day")));
        return legendValues(chart);
    }

    @SuppressWarnings("unchecked")
    private Map<String, String> legendValues(String chart) {
        return (Map<String, String>) script("return Object.fromEntries([...document.querySelectorAll('#an-chart-" + chart
                + " .u-legend .u-series')].map(row => [row.querySelector('.u-label').textContent,"
                + " row.querySelector('.u-value').textContent]))");
    }

    private int chartPoints() {
        Object points = script("return document.getElementById('overview-chart').dataset.points || '0'");
        return Integer.parseInt((String) points);
    }

    private Long totalShown(String field) {
        return number((String) script("return document.querySelector(\"[data-total='" + field + "'] .value\").textContent"));
    }

    private Object script(String code) {
        return ((org.openqa.selenium.JavascriptExecutor) browser.driver).executeScript(code);
    }

    private static Long number(String text) {
        String digits = text.replace(",", "").trim();
        return digits.equals("–") ? null : Long.parseLong(digits);
    }

    private long pageWidth() {
        return ((Number) ((org.openqa.selenium.JavascriptExecutor) browser.driver)
                .executeScript("return document.documentElement.scrollWidth")).longValue();
    }

    /** The dead letter of a source entry id, loading further pages as needed. */
    private WebElement findDeadLetter(String sourceId) {
        By card = By.cssSelector("article[data-source-id='" + sourceId + "']");
        // It was dead-lettered before the page opened: it is on the first page, or a later one.
        return await().atMost(TIMEOUT).pollInterval(java.time.Duration.ofMillis(500)).until(() -> {
            List<WebElement> found = browser.driver.findElements(card);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            List<WebElement> more = browser.driver.findElements(By.cssSelector("#dl-more:not([hidden])"));
            if (!more.isEmpty() && more.get(0).isEnabled()) {
                more.get(0).click();
            }
            return null;
        }, java.util.Objects::nonNull);
    }
}
