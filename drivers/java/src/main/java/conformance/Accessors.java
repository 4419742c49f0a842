package conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseOutputMessage;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseUsage;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** The documented accessors of PROTOCOL.md, read through the SDK's typed API as the docs' code reads them. */
final class Accessors {
    private Accessors() {}

    static void read(Object obj, List<String> names, ObjectNode r) {
        ObjectNode values = r.putObject("accessors");
        ArrayNode missing = Driver.MAPPER.createArrayNode();
        ObjectNode errors = Driver.MAPPER.createObjectNode();
        for (String name : names) {
            Supplier<Object> s = accessor(obj, name);
            if (s == null) {
                values.putNull(name);
                missing.add(name);
                continue;
            }
            try {
                values.set(name, toJson(s.get()));
            } catch (RuntimeException e) {
                // The SDK throws where the docs' code would crash (a required field absent or of another type).
                values.putNull(name);
                missing.add(name);
                errors.put(name, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        if (missing.size() > 0) {
            r.set("missing", missing);
        }
        if (errors.size() > 0) {
            r.set("accessor_errors", errors);
        }
    }

    private static JsonNode toJson(Object v) {
        if (v instanceof Optional) {
            v = ((Optional<?>) v).orElse(null);
        }
        return v == null ? NullNode.getInstance() : Driver.MAPPER.valueToTree(v);
    }

    private static Supplier<Object> accessor(Object obj, String name) {
        if (obj instanceof ChatCompletion) {
            return chat((ChatCompletion) obj, name);
        }
        if (obj instanceof Response) {
            return responses((Response) obj, name);
        }
        if (obj instanceof CreateEmbeddingResponse) {
            return embeddings((CreateEmbeddingResponse) obj, name);
        }
        return null;
    }

    private static Supplier<Object> chat(ChatCompletion c, String name) {
        switch (name) {
            case "id":
                return c::id;
            case "model":
                return c::model;
            case "object":
                return () -> c._object_().asStringOrThrow();
            case "message_content":
                return () -> c.choices().get(0).message().content();
            case "finish_reason":
                return () -> c.choices().get(0).finishReason().asString();
            case "usage.prompt_tokens":
                return () -> c.usage().map(u -> u.promptTokens());
            case "usage.completion_tokens":
                return () -> c.usage().map(u -> u.completionTokens());
            case "usage.total_tokens":
                return () -> c.usage().map(u -> u.totalTokens());
            default:
                return null;
        }
    }

    private static Supplier<Object> responses(Response resp, String name) {
        switch (name) {
            case "id":
                return resp::id;
            case "model":
                return resp::model;
            case "object":
                return () -> resp._object_().asStringOrThrow();
            case "status":
                return () -> resp.status().map(s -> s.asString());
            case "output_text":
                return () -> outputText(resp);
            case "usage.input_tokens":
                return () -> resp.usage().map(ResponseUsage::inputTokens);
            case "usage.output_tokens":
                return () -> resp.usage().map(ResponseUsage::outputTokens);
            case "usage.total_tokens":
                return () -> resp.usage().map(ResponseUsage::totalTokens);
            default:
                return null;
        }
    }

    /** openai-java 4.0.x has no output_text helper: every output_text part of every output message, joined. */
    static String outputText(Response resp) {
        StringBuilder sb = new StringBuilder();
        for (ResponseOutputItem item : resp.output()) {
            if (!item.isMessage()) {
                continue;
            }
            for (ResponseOutputMessage.Content part : item.asMessage().content()) {
                if (part.isOutputText()) {
                    sb.append(part.asOutputText().text());
                }
            }
        }
        return sb.toString();
    }

    private static Supplier<Object> embeddings(CreateEmbeddingResponse e, String name) {
        switch (name) {
            case "model":
                return e::model;
            case "object":
                return () -> e._object_().asStringOrThrow();
            case "usage.prompt_tokens":
                return () -> e.usage().promptTokens();
            case "usage.total_tokens":
                return () -> e.usage().totalTokens();
            case "embedding_count":
                return () -> e.data().size();
            case "embedding_dims":
                return () -> e.data().get(0).embedding().size();
            case "embedding_first":
                return () -> {
                    List<Float> v = e.data().get(0).embedding();
                    return v.subList(0, Math.min(10, v.size()));
                };
            default:
                return null;
        }
    }

    /** The text a stream event adds, as the docs' loop reads it; null where it adds none. */
    static String delta(Object ev) {
        if (ev instanceof ChatCompletionChunk) {
            List<ChatCompletionChunk.Choice> choices = ((ChatCompletionChunk) ev).choices();
            return choices.isEmpty() ? null : choices.get(0).delta().content().orElse(null);
        }
        if (ev instanceof ResponseStreamEvent) {
            return ((ResponseStreamEvent) ev).outputTextDelta().map(d -> d.delta()).orElse(null);
        }
        return null;
    }
}
