package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, finding 10: {@code /console%2F} was served as the console without its security headers
 * (its scripts then 404 and the token form put the token in the URL), and 100 spellings of static
 * paths filled Micrometer's uri-tag cap so the API's series disappeared.
 */
@QuarkusTest
@TestProfile(StaticPathsAndMetricsTest.OwnApplication.class)
class StaticPathsAndMetricsTest extends HostileSupport {

    /**
     * An application of its own, so its metrics start from nothing: the uri-tag count below would
     * otherwise include what the other hostile classes requested.
     */
    public static class OwnApplication extends FreshApplication {
    }

    private static final Pattern URI_TAG = Pattern.compile("^http_server_requests_seconds_count\\{[^}]*uri=\"([^\"]*)\"",
            Pattern.MULTILINE);

    @Test
    void anEncodedSlashOrBackslashInThePathIsRefusedNeverServed() {
        for (String path : List.of("/console%2F", "/console%2f", "/console%2Findex.html", "/console/js%2Fapp.js",
                "/console%5C", "/console/%5c..%5cindex.html", "/api/v1%2Fstats", "/q/health%2Fready")) {
            RawHttp.Response response = get(path, EXPORT_TOKEN);
            String error = assertJsonError(response, 400);
            assertThat(error).as(path).contains("encoded");
            assertThat(response.text()).as(path).doesNotContain("token-form");
        }
        // A %2F in the query is data, not a path: still answered.
        assertThat(get("/api/v1/export/events?limit=0&agent_id=a%2Fb", EXPORT_TOKEN).status()).isEqualTo(200);
    }

    @Test
    void theConsoleIsServedOnlyWithItsSecurityHeaders() {
        for (String path : List.of("/console/", "/console/index.html", "/console/js/app.js", "/console/console.css")) {
            RawHttp.Response response = get(path, null);
            assertThat(response.status()).as(path).isEqualTo(200);
            assertThat(response.header("Content-Security-Policy")).as(path).contains("default-src 'self'");
            assertThat(response.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
            assertThat(response.header("Referrer-Policy")).as(path).isEqualTo("no-referrer");
        }
    }

    @Test
    void theTokenFormCannotPutTheTokenInTheUrlEvenWithoutItsScripts() {
        String page = get("/console/", null).text();
        Matcher form = Pattern.compile("<form id=\"token-form\"[^>]*>").matcher(page);
        assertThat(form.find()).isTrue();
        assertThat(form.group()).contains("method=\"post\"");
        Matcher input = Pattern.compile("<input id=\"token\"[^>]*>").matcher(page);
        assertThat(input.find()).isTrue();
        // A field without a name is never part of a form submission.
        assertThat(input.group()).doesNotContain("name=");
    }

    @Test
    void junkPathsDoNotCrowdTheApiOutOfTheMetrics() {
        List<String> junk = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            junk.add("/console/" + "/".repeat(i % 3 + 1) + "js/app.js?n=" + i);
            junk.add("/console/index.html;v=" + i);
            junk.add("/console/./js/../index-" + i + ".html");
            junk.add("/junk-" + i);
            junk.add("/console%2F" + i);
        }
        assertThat(new TreeSet<>(junk)).hasSize(150);
        for (String path : junk) {
            assertThat(get(path, null).answered()).as(path).isTrue();
        }
        // The API's series are created after the junk: they must still appear.
        assertThat(get("/api/v1/export/events?limit=0", EXPORT_TOKEN).status()).isEqualTo(200);
        assertThat(get("/api/v1/stats", ALL_TOKEN).status()).isEqualTo(200);
        assertThat(get("/q/health/ready", null).status()).isEqualTo(200);

        Set<String> uris = uriTags(get("/q/metrics", null).text());
        // Probes (/q/...) are not application URIs: Quarkus leaves them out of these series.
        assertThat(uris).contains("/api/v1/export/{kind}", "/api/v1/stats", "/console", "/other");
        assertThat(uris).as("uri tags").hasSizeLessThan(30);
    }

    private static Set<String> uriTags(String metrics) {
        Set<String> uris = new TreeSet<>();
        Matcher matcher = URI_TAG.matcher(metrics);
        while (matcher.find()) {
            uris.add(matcher.group(1));
        }
        return uris;
    }
}
