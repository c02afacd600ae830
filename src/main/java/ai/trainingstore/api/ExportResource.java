package ai.trainingstore.api;

import ai.trainingstore.export.ExportRequest;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.security.ApiTokens;
import io.smallrye.mutiny.Multi;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.UriInfo;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestMulti;

/**
 * {@code GET /api/v1/export/{kind}}: streams one kind's rows as JSON lines, CSV or Parquet (contract
 * section 4). Requests are validated before the first byte; a failure after it closes the
 * connection without the final chunk, so clients see the export as cut short.
 */
@Path("/api/v1/export")
public class ExportResource {

    private final ExportService exports;

    public ExportResource(ExportService exports) {
        this.exports = exports;
    }

    @GET
    @Path("/{kind}")
    @RolesAllowed(ApiTokens.EXPORT)
    @Operation(summary = "Stream the rows of one kind as JSON lines, CSV or Parquet",
            description = "Query: format=jsonl|csv|parquet (parquet: one Parquet file, application/vnd.apache.parquet,"
                    + " zstd-compressed columns, never gzipped on top); from (inclusive) and to (exclusive) on occurred_at, ISO-8601 or a"
                    + " date (aliases start_date, end_date; end_date as a date includes that day); <text column>="
                    + "<value> filters (repeat for any of); limit; after=<occurred_at>|<identity> to resume;"
                    + " redact=email,phone,ip,card,secret|all replaces those values in text and JSON string values."
                    + " Accept-Encoding: gzip compresses the stream. Rows in (occurred_at, identity) order.")
    public RestMulti<Buffer> export(@PathParam("kind") String kindId, @Context UriInfo uri,
                                    @HeaderParam("Accept-Encoding") String acceptEncoding) {
        RecordKind kind = kind(kindId);
        ExportRequest request = ExportRequest.parse(kind, uri.getQueryParameters(), acceptEncoding);
        ExportRequest.Format format = request.format();
        String contentType = format.isText() ? format.mediaType() + "; charset=utf-8" : format.mediaType();
        return file(exports.export(request), contentType, request.fileName(), request.gzip());
    }

    /** A streamed UTF-8 text file. */
    static RestMulti<Buffer> download(Multi<Buffer> body, String mediaType, String fileName, boolean gzip) {
        return file(body, mediaType + "; charset=utf-8", fileName, gzip);
    }

    /** A streamed file: status and headers are sent with the first chunk, so they are set here. */
    private static RestMulti<Buffer> file(Multi<Buffer> body, String contentType, String fileName, boolean gzip) {
        RestMulti.SyncRestMulti.Builder<Buffer> response = RestMulti.fromMultiData(body)
                .status(200)
                .header("Content-Type", contentType)
                .header("Content-Disposition", "attachment; filename=\"" + fileName + "\"")
                .header("Cache-Control", "no-store")
                .header("Vary", "Accept-Encoding");
        if (gzip) {
            response.header("Content-Encoding", "gzip");
        }
        return response.build();
    }

    /** The kind named in a URL, or 404 listing the kinds. */
    static RecordKind kind(String kindId) {
        return RecordKind.byId(kindId).orElseThrow(() -> new NotFoundException("Unknown kind '" + kindId
                + "': use one of " + Arrays.stream(RecordKind.values()).map(RecordKind::id)
                .collect(Collectors.joining(", ")) + "."));
    }
}
