package ai.trainingstore.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Chromium driven through Debian's chromedriver: the paths are given, so Selenium
 * Manager never looks for (or downloads) a browser or driver. Skipped with a message where
 * Chromium is not installed; CI (which installs it) fails instead.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Where screenshots go; -Dconsole.screenshots=docs refreshes the README's pictures. */
    static final Path SCREENSHOTS = Path.of(System.getProperty("console.screenshots", "target/console-screenshots"));

    final WebDriver driver;
    final WebDriverWait wait;
    /** Where the browser saves downloads. */
    final Path downloads;
    private final Path profile;

    private Browser(WebDriver driver, Path profile, Path downloads) {
        this.driver = driver;
        this.profile = profile;
        this.downloads = downloads;
        this.wait = new WebDriverWait(driver, Duration.ofSeconds(20));
    }

    static Browser start() throws IOException {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (System.getenv("CI") != null) {
            assertThat(installed).as("CI must have chromium and chromium-driver (.ci/run installs them)").isTrue();
        }
        assumeTrue(installed, "Chromium is not installed (apt-get install chromium chromium-driver): console browser tests skipped");
        Path profile = Files.createTempDirectory("console-test-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1280,800",
                "--user-data-dir=" + profile);
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        Path downloads = Files.createDirectories(profile.resolve("downloads"));
        options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new Browser(new ChromeDriver(service, options), profile, downloads);
    }

    /**
     * Opens a console page (console: the URL of /console/) with the token entered once (kept for
     * the tab in sessionStorage), and waits until the page is shown.
     */
    void open(java.net.URL console, String page, String token) {
        if (!driver.getCurrentUrl().startsWith(console.toString())) {
            driver.get(console + page);
            enterToken(token);
        }
        driver.get(console + page);
        wait.until(shown -> page.startsWith("#/" + shown.findElement(By.id("main")).getAttribute("data-page")));
    }

    /** Enters a token in the console's token form. */
    void enterToken(String token) {
        WebElement input = wait.until(ExpectedConditions.elementToBeClickable(By.id("token")));
        input.sendKeys(token);
        driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
        wait.until(ExpectedConditions.textToBe(By.id("token-state"), "Token set for this tab"));
    }

    /** Runs JavaScript in the page; {@code arguments[i]} are the given values. */
    Object script(String code, Object... arguments) {
        return ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(code, arguments);
    }

    void size(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    /** Console messages of level SEVERE (errors) since the last call, except those the test expects. */
    List<String> consoleErrors(Predicate<String> expected) {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(expected.negate())
                .toList();
    }

    /** Every console message since the last call, of any level. */
    List<LogEntry> consoleMessages() {
        return driver.manage().logs().get(LogType.BROWSER).getAll();
    }

    /** A screenshot at the given window size (taller than the test's window shows the whole page), then back. */
    void screenshot(String name, int width, int height) throws IOException {
        Dimension before = driver.manage().window().getSize();
        size(width, height);
        try {
            Files.createDirectories(SCREENSHOTS);
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
        }
    }
}
