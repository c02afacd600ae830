package ai.trainingstore.api;

import ai.trainingstore.config.StoreConfig;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.Provider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;

/**
 * A request body read up to {@code training-store.ingest.max-request-bytes} and no further: a
 * larger one is refused while it is read (chunked bodies included), so memory stays bounded
 * whatever clients send, and the refusal is a JSON 413 like every other error.
 */
public record RequestBody(byte[] bytes) {

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** Answered with 413 and Connection: close (the rest of the body is never read). */
    public static final class TooLargeException extends RuntimeException {
        TooLargeException(String message) {
            super(message, null, false, false);
        }
    }

    @Provider
    @Consumes(MediaType.WILDCARD)
    public static final class Reader implements MessageBodyReader<RequestBody> {

        private final int limit;

        public Reader(StoreConfig config) {
            this.limit = config.ingest().maxRequestBytes();
        }

        @Override
        public boolean isReadable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
            return type == RequestBody.class;
        }

        @Override
        public RequestBody readFrom(Class<RequestBody> type, Type genericType, Annotation[] annotations,
                                    MediaType mediaType, MultivaluedMap<String, String> headers, InputStream in)
                throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
            byte[] buffer = new byte[65536];
            for (int read; (read = in.read(buffer)) >= 0; ) {
                if (body.size() + read > limit) {
                    throw new TooLargeException("The request body is over the limit of " + limit + " bytes"
                            + " (training-store.ingest.max-request-bytes): send fewer records per request.");
                }
                body.write(buffer, 0, read);
            }
            return new RequestBody(body.toByteArray());
        }
    }
}
