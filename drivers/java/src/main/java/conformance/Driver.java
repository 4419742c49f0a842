package conformance;

import com.azure.identity.AuthenticationUtil;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.core.ObjectMappers;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The openai-java driver of drivers/PROTOCOL.md: a hello line, then one JSON result line per JSON request line.
 * It reports what the SDK gave back and judges nothing.
 */
public final class Driver {
    static final JsonMapper MAPPER = ObjectMappers.jsonMapper();

    private Driver() {}

    public static void main(String[] args) throws Exception {
        // The protocol owns stdout; anything a library prints goes to stderr instead.
        PrintStream out =
                new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8.name());
        System.setOut(System.err);
        // Before azure-core reads its configuration: see NoNetworkHttpClientProvider.
        System.setProperty("AZURE_HTTP_CLIENT_IMPLEMENTATION", NoNetworkHttpClientProvider.class.getName());
        warmUp();
        emit(out, hello());
        ExecutorService workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "driver-call");
            t.setDaemon(true);
            return t;
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }
            emit(out, handle(line, workers));
        }
        out.flush();
        System.exit(0);
    }

    /**
     * Loads the SDK's classes before the hello line, so that the first call's elapsed_ms and deadline_ms measure
     * the call, not the JVM loading the client. Nothing is sent: the client is built and closed.
     */
    static void warmUp() {
        try {
            ChatCompletionCreateParams.builder()
                    .body(MAPPER.readValue(
                            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                            ChatCompletionCreateParams.Body.class))
                    .build();
            MAPPER.readValue(
                            "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"m\","
                                    + "\"choices\":[]}",
                            ChatCompletion.class)
                    .validate();
            OpenAIClient c = OpenAIOkHttpClient.builder()
                    .baseUrl("http://127.0.0.1:9/openai/v1/")
                    .apiKey("warm-up")
                    .build();
            c.chat().completions();
            c.responses();
            c.embeddings();
            c.async().chat().completions();
            c.close();
        } catch (Exception | LinkageError e) {
            System.err.println("driver warm-up failed (the calls will load the classes): " + e);
        }
    }

    static ObjectNode hello() {
        ObjectNode h = MAPPER.createObjectNode();
        h.put("sdk", "openai-java");
        h.put("version", implementationVersion(OpenAIClient.class, null));
        h.put("runtime", "java " + System.getProperty("java.version"));
        h.put(
                "identity",
                "azure-identity "
                        + implementationVersion(AuthenticationUtil.class, "/azure-identity.properties"));
        ObjectNode root = MAPPER.createObjectNode();
        root.set("hello", h);
        return root;
    }

    /** The version the jar's manifest declares; a properties resource where the manifest has none. */
    static String implementationVersion(Class<?> cls, String propertiesResource) {
        Package p = cls.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        if (v == null && propertiesResource != null) {
            try (InputStream s = cls.getResourceAsStream(propertiesResource)) {
                if (s != null) {
                    Properties props = new Properties();
                    props.load(s);
                    v = props.getProperty("version");
                }
            } catch (Exception ignored) {
                // falls through to "unknown"
            }
        }
        return v == null ? "unknown" : v;
    }

    static ObjectNode handle(String line, ExecutorService workers) {
        JsonNode req;
        try {
            req = MAPPER.readTree(line);
        } catch (Exception e) {
            return Results.driverError(null, "request is not JSON: " + e.getMessage());
        }
        if (req == null || !req.isObject()) {
            return Results.driverError(null, "request is not a JSON object");
        }
        String id = req.path("id").isMissingNode() ? null : req.path("id").asText();
        Call call;
        try {
            call = new Call(req);
        } catch (Exception e) {
            return Results.driverError(id, e.getMessage());
        }
        if (call.unsupported != null) {
            ObjectNode r = Results.base(id);
            r.put("ok", false);
            r.set("error", Results.errorObject("Unsupported", call.unsupported));
            return r;
        }
        try {
            call.check();
        } catch (IllegalArgumentException e) {
            return Results.driverError(id, e.getMessage());
        }
        long deadline = req.path("deadline_ms").asLong(0);
        Future<ObjectNode> f = workers.submit(call::run);
        try {
            return deadline > 0 ? f.get(deadline, TimeUnit.MILLISECONDS) : f.get();
        } catch (TimeoutException e) {
            f.cancel(true);
            // A closed client cannot send the attempt its sleeper still has scheduled.
            call.closeClient();
            return call.watchdogResult(deadline);
        } catch (Exception e) {
            return Results.driverError(id, "driver failed: " + e);
        }
    }

    static synchronized void emit(PrintStream out, ObjectNode obj) {
        try {
            out.print(MAPPER.writeValueAsString(obj));
        } catch (Exception e) {
            out.print("{\"ok\":false,\"error\":{\"class\":\"DriverError\",\"message\":\"unserialisable result\"}}");
        }
        out.print('\n');
        out.flush();
    }
}
