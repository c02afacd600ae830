package ai.trainingstore.console;

import ai.trainingstore.config.StoreConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The operator console is static files under {@code META-INF/resources/console/} (served without
 * a token: they hold no data, the page calls the API with the operator's token). This only sends
 * {@code /console} to {@code /console/}, so relative links in the page resolve.
 */
@ApplicationScoped
public class ConsoleRoutes {

    void addRedirect(@Observes Router router) {
        // A regex route: a plain "/console" route would also match "/console/" and loop.
        // Relative Location, so it works behind a proxy that serves the store under a prefix.
        router.getWithRegex("/console$").handler(context -> context.response().setStatusCode(301)
                .putHeader("Location", "console/").end());
    }

    /**
     * {@code /console/features.json}: which optional features this store has on, so the page shows
     * only what works (with search off every {@code /api/v1/search} path is a 404, which a browser
     * would log as an error). Holds no data, so it needs no token, like the page itself.
     */
    void addFeatures(@Observes Router router, StoreConfig config) {
        String features = JsonObject.of("search", config.search().enabled()).encode();
        router.get("/console/features.json").handler(context -> context.response()
                .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store").end(features));
    }
}
