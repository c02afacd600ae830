package ai.trainingstore.console;

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
}
