package conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.AsyncStreamResponse;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One request: its client, its documented call, and what came back. The non-streaming calls and the synchronous
 * stream go through withRawResponse(), which is what create()/createStreaming() call before parse(), so the
 * status and x-request-id are read through the SDK too; the asynchronous stream is the documented subscribe().
 */
final class Call {
    final String id;
    final String call;
    final boolean stream;
    final String auth;
    final String clientKind;
    final String baseUrl;
    final String apiKey;
    final String token;
    final String scope;
    final JsonNode env;
    final JsonNode params;
    final Integer maxRetries;
    final Long timeoutMs;
    final List<String> accessors = new ArrayList<>();
    final String unsupported;

    final List<String> credentialScopes = Collections.synchronizedList(new ArrayList<>());
    final List<String> envIgnored = new ArrayList<>();
    private final List<ObjectNode> events = Collections.synchronizedList(new ArrayList<>());
    private final StringBuilder text = new StringBuilder();
    private volatile ObjectNode streamStrict;
    private volatile String textError;
    private final AtomicReference<OpenAIClient> client = new AtomicReference<>();
    private volatile long started;

    Call(JsonNode req) {
        id = req.hasNonNull("id") ? req.get("id").asText() : null;
        call = req.path("call").asText("");
        stream = req.path("stream").asBoolean(false);
        auth = req.path("auth").asText("key");
        clientKind = req.path("client").asText("sync");
        baseUrl = req.path("base_url").asText(null);
        apiKey = req.path("api_key").asText(null);
        token = req.path("token").asText(null);
        scope = req.path("scope").asText("https://cognitiveservices.azure.com/.default");
        env = req.path("env");
        params = req.path("params");
        JsonNode options = req.path("options");
        maxRetries = options.hasNonNull("max_retries") ? options.get("max_retries").asInt() : null;
        timeoutMs = options.hasNonNull("timeout_ms") ? options.get("timeout_ms").asLong() : null;
        for (JsonNode a : req.path("accessors")) {
            accessors.add(a.asText());
        }
        unsupported = clientKind.equals("sync") || clientKind.equals("async")
                ? null
                : "openai-java has sync and async clients, not '" + clientKind + "'";
    }

    /** A request the driver cannot make as asked: the message says what to fix. */
    void check() {
        if (!call.equals("chat.completions.create")
                && !call.equals("responses.create")
                && !call.equals("embeddings.create")) {
            throw new IllegalArgumentException("unknown call '" + call + "'");
        }
        if (call.equals("embeddings.create") && stream) {
            throw new IllegalArgumentException("embeddings.create has no streaming variant");
        }
        if (!auth.equals("entra") && !auth.equals("key") && !auth.equals("env")) {
            throw new IllegalArgumentException("unknown auth '" + auth + "' (entra, key or env)");
        }
        if (!auth.equals("env") && (baseUrl == null || baseUrl.isEmpty())) {
            // Without it the SDK would default to api.openai.com: no call leaves for an address not given.
            throw new IllegalArgumentException("base_url is required under auth '" + auth + "'");
        }
        if (auth.equals("env") && !env.hasNonNull("OPENAI_BASE_URL") && System.getenv("OPENAI_BASE_URL") == null) {
            throw new IllegalArgumentException("auth 'env' needs OPENAI_BASE_URL in env (else api.openai.com)");
        }
        if (!params.isObject()) {
            throw new IllegalArgumentException("params must be a JSON object");
        }
    }

    ObjectNode run() {
        ObjectNode r = Results.base(id);
        Object typed;
        try {
            typed = typedParams();
        } catch (Exception e) {
            return Results.driverError(id, "params do not build the SDK's typed params: " + e);
        }
        NoNetworkHttpClientProvider.drain();
        started = System.nanoTime();
        try {
            OpenAIClient c = Clients.build(this);
            client.set(c);
            invoke(c, typed, r);
            r.put("ok", true);
        } catch (Throwable t) {
            try {
                Results.fillError(r, t);
            } catch (RuntimeException secondary) {
                r.put("ok", false);
                r.set("error", Results.errorObject(
                        Results.unwrap(t).getClass().getSimpleName(), "and reading it failed: " + secondary));
            }
        } finally {
            closeClient();
        }
        finish(r, elapsedMs());
        return r;
    }

    /** The body deserialised with the SDK's own mapper, then builder().body(...), as PROTOCOL.md asks. */
    private Object typedParams() throws Exception {
        if (call.equals("chat.completions.create")) {
            return ChatCompletionCreateParams.builder()
                    .body(Driver.MAPPER.treeToValue(params, ChatCompletionCreateParams.Body.class))
                    .build();
        }
        if (call.equals("responses.create")) {
            return ResponseCreateParams.builder()
                    .body(Driver.MAPPER.treeToValue(params, ResponseCreateParams.Body.class))
                    .build();
        }
        return EmbeddingCreateParams.builder()
                .body(Driver.MAPPER.treeToValue(params, EmbeddingCreateParams.Body.class))
                .build();
    }

    private void invoke(OpenAIClient c, Object p, ObjectNode r) throws Exception {
        boolean async = clientKind.equals("async");
        if (call.equals("chat.completions.create")) {
            ChatCompletionCreateParams cp = (ChatCompletionCreateParams) p;
            if (!stream) {
                HttpResponseFor<ChatCompletion> raw = async
                        ? c.async().chat().completions().withRawResponse().create(cp).get()
                        : c.chat().completions().withRawResponse().create(cp);
                single(r, raw, raw.parse());
            } else if (async) {
                consume(c.async().chat().completions().createStreaming(cp));
            } else {
                HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw =
                        c.chat().completions().withRawResponse().createStreaming(cp);
                head(r, raw);
                consume(raw.parse());
            }
        } else if (call.equals("responses.create")) {
            ResponseCreateParams rp = (ResponseCreateParams) p;
            if (!stream) {
                HttpResponseFor<Response> raw = async
                        ? c.async().responses().withRawResponse().create(rp).get()
                        : c.responses().withRawResponse().create(rp);
                single(r, raw, raw.parse());
            } else if (async) {
                consume(c.async().responses().createStreaming(rp));
            } else {
                HttpResponseFor<StreamResponse<ResponseStreamEvent>> raw =
                        c.responses().withRawResponse().createStreaming(rp);
                head(r, raw);
                consume(raw.parse());
            }
        } else {
            EmbeddingCreateParams ep = (EmbeddingCreateParams) p;
            HttpResponseFor<CreateEmbeddingResponse> raw = async
                    ? c.async().embeddings().withRawResponse().create(ep).get()
                    : c.embeddings().withRawResponse().create(ep);
            single(r, raw, raw.parse());
        }
    }

    private static void head(ObjectNode r, HttpResponseFor<?> raw) {
        r.put("status", raw.statusCode());
        r.set("request_id", Results.text(raw.requestId()));
    }

    private void single(ObjectNode r, HttpResponseFor<?> raw, Object obj) throws Exception {
        head(r, raw);
        r.set("parsed", Driver.MAPPER.readTree(Driver.MAPPER.writeValueAsString(obj)));
        r.set("strict", Strict.check(obj));
        Accessors.read(obj, accessors, r);
    }

    private <T> void consume(StreamResponse<T> s) {
        try (StreamResponse<T> open = s) {
            open.stream().forEach(this::onEvent);
        }
    }

    private <T> void consume(AsyncStreamResponse<T> s) throws Exception {
        s.subscribe(this::onEvent);
        s.onCompleteFuture().get();
    }

    /** Each event as it arrives: its label and JSON, the text the docs' loop prints, the first strict failure. */
    private void onEvent(Object ev) {
        ObjectNode e = Driver.MAPPER.createObjectNode();
        JsonNode json;
        try {
            json = Driver.MAPPER.readTree(Driver.MAPPER.writeValueAsString(ev));
        } catch (Exception ex) {
            json = Driver.MAPPER.getNodeFactory().textNode("unserialisable: " + ex);
        }
        if (ev instanceof ChatCompletionChunk) {
            e.set("object", ((ChatCompletionChunk) ev)._object_().asString().isPresent()
                    ? Driver.MAPPER.getNodeFactory().textNode(((ChatCompletionChunk) ev)._object_().asStringOrThrow())
                    : json.path("object"));
        } else {
            e.set("type", json.path("type"));
        }
        e.set("json", json);
        int index;
        synchronized (events) {
            events.add(e);
            index = events.size() - 1;
        }
        if (streamStrict == null) {
            ObjectNode s = Strict.check(ev);
            if (!s.path("ok").asBoolean()) {
                s.put("event_index", index);
                streamStrict = s;
            }
        }
        try {
            String delta = Accessors.delta(ev);
            if (delta != null) {
                synchronized (text) {
                    text.append(delta);
                }
            }
        } catch (RuntimeException ex) {
            if (textError == null) {
                textError = "event " + index + ": " + ex.getClass().getSimpleName() + ": " + ex.getMessage();
            }
        }
    }

    void closeClient() {
        OpenAIClient c = client.getAndSet(null);
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing is best effort: the client is never used again
            }
        }
    }

    private double elapsedMs() {
        return started == 0 ? 0.0 : Math.round((System.nanoTime() - started) / 1e4) / 100.0;
    }

    private void finish(ObjectNode r, double elapsed) {
        r.put("elapsed_ms", elapsed);
        if (stream) {
            ArrayNode evs = r.putArray("events");
            synchronized (events) {
                evs.addAll(events);
            }
            synchronized (text) {
                r.put("text", text.toString());
            }
            if (events.isEmpty() && r.path("error").isObject()) {
                r.putNull("strict");
            } else {
                r.set("strict", streamStrict != null ? streamStrict : Strict.ok());
            }
            if (textError != null) {
                r.with("accessor_errors").put("text", textError);
            }
        }
        ArrayNode scopes = r.putArray("credential_scopes");
        synchronized (credentialScopes) {
            credentialScopes.forEach(scopes::add);
        }
        List<String> identity = NoNetworkHttpClientProvider.drain();
        if (!identity.isEmpty()) {
            ArrayNode ids = r.putArray("identity_requests");
            identity.forEach(ids::add);
        }
        if (!envIgnored.isEmpty()) {
            ArrayNode ignored = r.putArray("env_ignored");
            envIgnored.forEach(ignored::add);
        }
    }

    ObjectNode watchdogResult(long deadlineMs) {
        ObjectNode r = Results.base(id);
        r.put("watchdog", true);
        r.set("error", Results.errorObject("Watchdog", "call not finished within deadline_ms=" + deadlineMs));
        finish(r, elapsedMs());
        return r;
    }
}
