package ai.trainingstore.stream;

import io.vertx.mutiny.redis.client.Response;

/** Reading generic Redis replies (XINFO) whether the server answers in RESP2 or RESP3. */
final class RedisReplies {

    private RedisReplies() {
    }

    /** A field of a reply that is a map (RESP3) or a flat list of name/value pairs (RESP2). */
    static Response field(Response reply, String name) {
        if (reply.getKeys() != null && !reply.getKeys().isEmpty()) {
            return reply.get(name);
        }
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            if (name.equals(reply.get(i).toString())) {
                return reply.get(i + 1);
            }
        }
        return null;
    }

    static String text(Response reply, String name) {
        Response value = field(reply, name);
        return value == null ? null : value.toString();
    }

    static long number(Response reply, String name, long absent) {
        Response value = field(reply, name);
        return value == null ? absent : value.toLong();
    }
}
