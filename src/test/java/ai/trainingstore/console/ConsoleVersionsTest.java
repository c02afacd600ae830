package ai.trainingstore.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's dataset versions in a real headless Chromium: "Save as version" in the export
 * builder creates the version the API then lists; the Versions page shows its manifest, downloads
 * its exact bytes and deletes it with an admin token; without admin no Delete is offered.
 */
@QuarkusTest
class ConsoleVersionsTest extends ConsoleTestSupport {

    private static final String OWNER_TOKEN = "test-owner-token"; // export+admin
    private static final String EXPORT_TOKEN = "test-export-token";
    private static final String VERSIONS = "/api/v1/datasets/versions";

    {
        // The admin probe (DELETE of id 0, which no version has) answers 404 with admin, 403 without: the browser logs it.
        expectedErrors = message -> message.contains(VERSIONS + "/0 ") && message.contains("404");
    }

    @Test
    void saveAsVersionThenItsManifestDownloadAndDeleteOnTheVersionsPage() throws Exception {
        String agent = publishConversations("console-versions");
        String name = unique("console version");
        open("#/export?kind=dataset:conversations&agent_id=" + agent, OWNER_TOKEN);
        WebElement versionName = browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("ex-version-name")));
        versionName.sendKeys(name);
        browser.driver.findElement(By.id("ex-save-version")).click();
        browser.wait.until(driver -> !driver.findElements(By.id("ex-version-link")).isEmpty()
                || driver.findElement(By.id("error")).isDisplayed());
        assertThat(browser.driver.findElement(By.id("error")).getText()).as("the console's error box").isEmpty();
        WebElement link = browser.driver.findElement(By.id("ex-version-link"));

        JsonPath listed = given().auth().oauth2(EXPORT_TOKEN).queryParam("name", name).get(VERSIONS)
                .then().statusCode(200).extract().jsonPath();
        assertThat(listed.getList("versions")).hasSize(1);
        String id = listed.getString("versions[0].id");
        assertThat(listed.getMap("versions[0].parameters")).isEqualTo(Map.of("agent_id", agent));
        assertThat(browser.driver.findElement(By.id("ex-version-status")).getText()).contains("Version " + id + " is building");
        await().atMost(TIMEOUT).until(() -> "ready".equals(manifest(id).getString("status")));

        link.click();
        By readyRow = By.cssSelector("#ver-table tr[data-version='" + id + "'][data-status='ready']");
        browser.wait.until(ExpectedConditions.presenceOfElementLocated(readyRow));
        assertThat(browser.driver.findElements(By.cssSelector("#ver-table tbody tr"))).hasSize(1);
        WebElement row = browser.driver.findElement(readyRow);
        row.findElement(By.cssSelector("[data-action=manifest]")).click();
        WebElement shown = browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("ver-manifest")));
        String sha256 = manifest(id).getString("sha256");
        assertThat(shown.getText()).contains("\"sha256\": \"" + sha256 + "\"").contains(name);
        assertThat(browser.driver.findElement(By.id("ver-detail")).getText()).as("the manifest card").contains("curl");
        assertThat(browser.driver.findElement(By.id("ver-curl")).getText())
                .contains(VERSIONS + "/" + id + "/lines").contains("-o conversations-version-" + id + ".jsonl");

        row.findElement(By.cssSelector("[data-action=download]")).click();
        Path file = browser.downloads.resolve("conversations-version-" + id + ".jsonl");
        await().atMost(TIMEOUT).until(() -> Files.exists(file) && Files.size(file) == manifest(id).getLong("bytes"));
        byte[] served = given().auth().oauth2(EXPORT_TOKEN).get(VERSIONS + "/" + id + "/lines").then().statusCode(200)
                .extract().asByteArray();
        assertThat(Files.readAllBytes(file)).isEqualTo(served);
        browser.screenshot("console-versions", 1280, 800);

        row.findElement(By.cssSelector("[data-action=delete]")).click();
        browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
        browser.wait.until(ExpectedConditions.invisibilityOfElementLocated(readyRow));
        given().auth().oauth2(EXPORT_TOKEN).get(VERSIONS + "/" + id).then().statusCode(404);
    }

    @Test
    void aTokenWithoutAdminIsOfferedNoDelete() {
        expectedErrors = message -> message.contains(VERSIONS + "/0 ") && message.contains("403");
        String agent = publishConversations("console-versions-noadmin");
        String name = unique("console version");
        String id = given().auth().oauth2(EXPORT_TOKEN).contentType("application/json")
                .body("{\"name\": \"" + name + "\", \"dataset\": \"conversations\", \"parameters\": {\"agent_id\": \""
                        + agent + "\"}}")
                .post(VERSIONS).then().statusCode(202).extract().jsonPath().getString("id");
        try {
            await().atMost(TIMEOUT).until(() -> "ready".equals(manifest(id).getString("status")));
            open("#/versions?name=" + name.replace(" ", "%20"), EXPORT_TOKEN);
            By row = By.cssSelector("#ver-table tr[data-version='" + id + "']");
            browser.wait.until(ExpectedConditions.presenceOfElementLocated(row));
            assertThat(browser.driver.findElement(row).findElements(By.cssSelector("[data-action=download]"))).hasSize(1);
            assertThat(browser.driver.findElements(By.cssSelector("[data-action=delete]"))).isEmpty();
            assertThat(browser.driver.findElement(By.id("ver-count")).getText()).contains("admin scope");
        } finally {
            given().auth().oauth2(OWNER_TOKEN).delete(VERSIONS + "/" + id).then().statusCode(204);
        }
    }

    private String publishConversations(String prefix) {
        String agent = unique(prefix);
        List<Map<String, String>> entries = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            String conversation = agent + "-c" + c;
            entries.add(fields("conversation_id", conversation, "agent_id", agent, "seq", "1", "role", "user",
                    "content", "Question " + c));
            entries.add(fields("conversation_id", conversation, "agent_id", agent, "seq", "2", "role", "assistant",
                    "content", "Answer " + c));
        }
        xaddTogether(MESSAGES, entries);
        awaitRows(6, "SELECT message_id FROM training_data.training_messages WHERE agent_id = ?", agent);
        return agent;
    }

    private static JsonPath manifest(String id) {
        return given().auth().oauth2(EXPORT_TOKEN).get(VERSIONS + "/" + id).then().statusCode(200).extract().jsonPath();
    }

    /** Enters the token on the overview, then goes to the page (a render of the page before the token is gone). */
    private void open(String page, String token) {
        browser.driver.get(console + "#/overview");
        WebElement input = browser.wait.until(ExpectedConditions.elementToBeClickable(By.id("token")));
        input.sendKeys(token);
        browser.driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
        browser.driver.get(console + page);
        browser.wait.until(driver -> page.startsWith("#/" + driver.findElement(By.id("main")).getAttribute("data-page")));
    }
}
