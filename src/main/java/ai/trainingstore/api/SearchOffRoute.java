package ai.trainingstore.api;

import ai.trainingstore.config.StoreConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * With search off, every {@code /api/v1/search} path answers 404 with how to enable it, before
 * authentication and the REST routes (there is nothing there to protect or to route to).
 */
@ApplicationScoped
public class SearchOffRoute {

    void install(@Observes Router router, StoreConfig config) {
        if (!config.search().enabled()) {
            String body = JsonObject.of("error", SearchResource.OFF).encode();
            router.routeWithRegex("/api/v1/search(/.*)?").order(-1000).handler(context -> context.response()
                    .setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body));
        }
    }
}
