package ai.trainingstore.api;

import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.security.ApiTokens;
import ai.trainingstore.version.Manifest;
import ai.trainingstore.version.VersionService;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestMulti;

/**
 * {@code /api/v1/datasets/versions}: a dataset's answer frozen at one snapshot, kept, cited by id
 * and fetched byte for byte (contract section 6.4).
 */
@Path("/api/v1/datasets/versions")
public class VersionResource {

    private static final String BASE = "/api/v1/datasets/versions/";

    private final VersionService versions;

    public VersionResource(VersionService versions) {
        this.versions = versions;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Create a dataset version: 202 with its manifest (status building); built in the background",
            description = "Body {\"name\": \"...\", \"dataset\": \"conversations\"|\"trajectories\", \"parameters\":"
                    + " {<the dataset's query parameters, each a string or a list of strings; not after>}}. The"
                    + " parameters are checked as the dataset's GET checks them (400).")
    public Uni<Response> create(RequestBody body) {
        return versions.create(body.bytes()).map(manifest -> Response.accepted(manifest)
                .header("Location", BASE + manifest.id()).type(MediaType.APPLICATION_JSON).build());
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Versions, newest first: name=<exact name>, limit (1-1000, default 100), after=<id> (next_after)")
    public Uni<Map<String, Object>> list(@Context UriInfo uri) {
        return versions.list(uri.getQueryParameters()).map(page -> {
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("versions", page.versions());
            answer.put("next_after", page.nextAfter());
            return answer;
        });
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "A version's manifest: status, lines, bytes, sha256, summary, error")
    public Uni<Manifest> manifest(@PathParam("id") String id) {
        return versions.manifest(id);
    }

    @GET
    @Path("/{id}/lines")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "A ready version's bytes, always the same",
            description = "ETag \"<sha256>\"; Accept-Encoding: gzip compresses; Range: bytes=<start>- answers 206 with"
                    + " the rest (uncompressed) and Content-Range; 409 while building, 410 when failed.")
    public RestMulti<Buffer> lines(@PathParam("id") String id, @HeaderParam("Range") String range,
                                   @HeaderParam("Accept-Encoding") String acceptEncoding) {
        return RestMulti.fromUniResponse(versions.download(id, range, QueryParameters.acceptsGzip(acceptEncoding)),
                VersionService.Download::body, VersionResource::headers,
                download -> download.partial() ? 206 : 200);
    }

    private static Map<String, List<String>> headers(VersionService.Download download) {
        Manifest manifest = download.manifest();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/x-ndjson; charset=utf-8"));
        headers.put("Content-Disposition", List.of("attachment; filename=\"" + manifest.dataset() + "-version-"
                + manifest.id() + ".jsonl" + (download.gzip() ? ".gz" : "") + "\""));
        // The same bytes gzip-compressed are another representation: a weak tag for them.
        headers.put("ETag", List.of((download.gzip() ? "W/" : "") + "\"" + manifest.sha256() + "\""));
        headers.put("Accept-Ranges", List.of("bytes"));
        headers.put("Cache-Control", List.of("no-store"));
        headers.put("Vary", List.of("Accept-Encoding"));
        if (download.gzip()) {
            headers.put("Content-Encoding", List.of("gzip"));
        }
        if (download.partial()) {
            headers.put("Content-Range", List.of("bytes " + download.start() + "-" + (manifest.bytes() - 1) + "/"
                    + manifest.bytes()));
        }
        return headers;
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed(ApiTokens.ADMIN)
    @Operation(summary = "Delete a version and its bytes (scope admin): 204")
    public Uni<Response> delete(@PathParam("id") String id) {
        return versions.delete(id).map(ignored -> Response.noContent().build());
    }
}
