package conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.errors.OpenAIServiceException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** The result objects of drivers/PROTOCOL.md. */
final class Results {
    private Results() {}

    static ObjectNode base(String id) {
        ObjectNode r = Driver.MAPPER.createObjectNode();
        if (id == null) {
            r.putNull("id");
        } else {
            r.put("id", id);
        }
        r.put("ok", false);
        r.putNull("elapsed_ms");
        r.putNull("status");
        r.putNull("request_id");
        r.putNull("strict");
        r.putNull("error");
        r.put("watchdog", false);
        return r;
    }

    static ObjectNode driverError(String id, String message) {
        ObjectNode r = base(id);
        r.set("error", errorObject("DriverError", message));
        return r;
    }

    static ObjectNode errorObject(String cls, String message) {
        ObjectNode e = Driver.MAPPER.createObjectNode();
        e.put("class", cls);
        e.putNull("status");
        e.putNull("code");
        e.putNull("type");
        e.put("message", message);
        e.putNull("request_id");
        return e;
    }

    /** The exception a future or a stream wrapped, as the caller of the documented method would catch it. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The SDK's error, read through its documented accessors (statusCode(), code(), type(), headers()). */
    static void fillError(ObjectNode r, Throwable thrown) {
        Throwable t = unwrap(thrown);
        if (!(t instanceof OpenAIServiceException)) {
            t.printStackTrace(System.err);
        }
        ObjectNode e = errorObject(t.getClass().getSimpleName(), String.valueOf(t.getMessage()));
        // "Request failed" says nothing of why: the innermost cause does (a refused proxy, a TLS failure).
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != t) {
            e.put("cause", root.getClass().getSimpleName() + ": " + root.getMessage());
        }
        if (t instanceof OpenAIServiceException) {
            OpenAIServiceException se = (OpenAIServiceException) t;
            e.put("status", se.statusCode());
            ObjectNode failures = Driver.MAPPER.createObjectNode();
            // Each accessor on its own: openai-java 4.0.x's type() throws where the error body has no "type".
            e.set("code", optional(() -> se.code(), "code", failures));
            e.set("type", optional(() -> se.type(), "type", failures));
            List<String> ids = se.headers().values("x-request-id");
            if (!ids.isEmpty()) {
                e.put("request_id", ids.get(0));
            }
            if (failures.size() > 0) {
                e.set("accessor_errors", failures);
            }
            try {
                e.set("body", Driver.MAPPER.valueToTree(se.body()));
            } catch (RuntimeException ignored) {
                // the body stays out of the result; status, code and type are what the protocol asks for
            }
            r.put("status", se.statusCode());
            r.set("request_id", e.get("request_id"));
        }
        r.put("ok", false);
        r.set("error", e);
    }

    private static JsonNode optional(Supplier<Optional<String>> accessor, String name, ObjectNode failures) {
        try {
            return text(accessor.get());
        } catch (RuntimeException ex) {
            failures.put(name, ex.getClass().getSimpleName() + ": " + ex.getMessage());
            return NullNode.getInstance();
        }
    }

    static JsonNode text(Optional<String> v) {
        return v.isPresent() ? Driver.MAPPER.getNodeFactory().textNode(v.get()) : NullNode.getInstance();
    }
}
