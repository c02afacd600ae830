package ai.trainingstore.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.search.SearchProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console with search enabled, in a real headless Chromium: the Conversations page's search box
 * lists conversations by meaning with their matching message; a click opens one in the viewer,
 * which lists similar conversations. (With search off the box is absent: ConsoleTest's pages show
 * no search and log no error.)
 */
@QuarkusTest
@TestProfile(SearchProfile.class)
class ConsoleSearchTest extends ConsoleTestSupport {

    @Test
    void searchBoxFindsByMeaningAndTheViewerShowsSimilarConversations() throws Exception {
        String agent = unique("console-search");
        String[][] conversations = {
            {"-bake", "My rye sourdough boule spreads out flat like a pancake in the Dutch oven.", "Shape it tighter and proof it in a banneton."},
            {"-bread", "The bread dough did not rise in two hours.", "Proof the yeast in lukewarm water first."},
            {"-pod", "The pod is stuck in CrashLoopBackOff.", "Check kubectl logs --previous for the crash."},
        };
        for (String[] c : conversations) {
            String id = agent + c[0];
            xadd(MESSAGES, "message_id", id + "-u", "conversation_id", id, "role", "user", "content", c[1], "agent_id", agent, "seq", "1");
            xadd(MESSAGES, "message_id", id + "-a", "conversation_id", id, "role", "assistant", "content", c[2], "agent_id", agent, "seq", "2");
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> count(
                "SELECT count(*) FROM training_data.search_vectors WHERE message_id LIKE ?", agent + "%") == 6);
        // Embedded is not yet searchable: this replica's index reads new vectors by tailing the table,
        // and the page searches once. So the API must find the conversation before the page is asked.
        String query = "rye boule spreading like a pancake in a dutch oven";
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> given()
                .auth().oauth2("test-export-token").queryParam("q", query).queryParam("agent_id", agent)
                .get("/api/v1/search/conversations").jsonPath().getList("results.conversation_id")
                .contains(agent + "-bake"));
        // ...and has read every vector stored so far (the viewer's similar conversations rank them all).
        long stored = count("SELECT count(*) FROM training_data.search_vectors");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> given()
                .auth().oauth2("test-export-token").get("/api/v1/search/status").jsonPath().getLong("indexed") >= stored);

        browser.driver.get(console + "#/overview");
        WebElement input = browser.wait.until(ExpectedConditions.elementToBeClickable(By.id("token")));
        input.sendKeys("test-export-token");
        browser.driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
        browser.driver.get(console + "#/conversations");
        WebElement box = browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("cv-search-q")));
        // The whole store is searched; this run's baking question is worded unlike anything else stored.
        // The page may draw the box again while it loads (a busy machine): type until the box that is
        // shown holds the whole question, then search; the address then carries it.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            WebElement shown = browser.driver.findElement(By.id("cv-search-q"));
            if (!query.equals(shown.getAttribute("value"))) {
                shown.clear();
                shown.sendKeys(query);
            }
            return query.equals(browser.driver.findElement(By.id("cv-search-q")).getAttribute("value"));
        });
        browser.driver.findElement(By.id("cv-search-go")).click();
        await().atMost(Duration.ofSeconds(30)).until(() -> java.net.URLDecoder.decode(browser.driver.getCurrentUrl(),
                java.nio.charset.StandardCharsets.UTF_8).replace('+', ' ').contains(query));
        By first = By.cssSelector("#cv-search-list li:first-child");
        // This run's conversation, or the same words stored by an earlier run on a reused database (an equal score).
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                    browser.driver.findElement(first).getAttribute("data-conversation").endsWith("-bake")
                            && browser.driver.findElement(first).getText().contains("rye sourdough boule spreads out flat"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the page's search results: " + browser.driver.findElement(By.id("cv-search-results")).getText()
                    + "\npage errors: " + browser.consoleErrors(message -> false), e);
        }
        String found = browser.driver.findElement(first).getAttribute("data-conversation");
        assertThat(browser.driver.findElement(first).getText()).contains("score");
        browser.screenshot("console-search", 1280, 800);

        browser.driver.findElement(first).findElement(By.tagName("a")).click();
        browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cv-chat")));
        assertThat(browser.driver.findElement(By.id("cv-chat")).getAttribute("data-conversation")).isEqualTo(found);
        WebElement similar = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cv-similar-list")));
        List<String> listed = similar.findElements(By.tagName("li")).stream().map(li -> li.getAttribute("data-conversation")).toList();
        assertThat(listed).isNotEmpty().doesNotContain(found);
        // The page lists what the API answers for the conversation: the whole store ranked by the
        // HNSW graph (approximate: which conversation of other tests' comes first is not this test's
        // to say, and vectors of other tests may arrive meanwhile, so the first listed is one the API puts in its top 5).
        List<String> api = given().auth().oauth2("test-export-token").queryParam("like", found).queryParam("k", 5)
                .get("/api/v1/search/conversations").jsonPath().getList("results.conversation_id");
        assertThat(api).contains(listed.get(0));
        // By meaning: among this run's conversations (a filter this narrow is scored exactly), the one
        // most like the sourdough question is the other baking one, not the pod.
        assertThat(given().auth().oauth2("test-export-token").queryParam("like", agent + "-bake").queryParam("agent_id", agent)
                .get("/api/v1/search/conversations").jsonPath().getList("results.conversation_id", String.class))
                .containsExactly(agent + "-bread", agent + "-pod");
    }
}
