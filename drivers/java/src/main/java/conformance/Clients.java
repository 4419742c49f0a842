package conformance;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.AuthenticationUtil;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.credential.BearerTokenCredential;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/** Builds the client as the Java section of the documentation does, one per request. */
final class Clients {
    /** The variables fromEnv() reads, and the system properties it reads first. */
    static final Map<String, String> ENV_PROPERTIES;

    static {
        Map<String, String> m = new HashMap<>();
        m.put("OPENAI_API_KEY", "openai.apiKey");
        m.put("OPENAI_BASE_URL", "openai.baseUrl");
        m.put("OPENAI_ORG_ID", "openai.orgId");
        m.put("OPENAI_PROJECT_ID", "openai.projectId");
        m.put("OPENAI_WEBHOOK_SECRET", "openai.webhookSecret");
        ENV_PROPERTIES = Collections.unmodifiableMap(m);
    }

    private Clients() {}

    static OpenAIClient build(Call c) {
        OpenAIOkHttpClient.Builder b;
        if ("entra".equals(c.auth)) {
            // In place of DefaultAzureCredential, as the Python side does offline: the documented helper over a
            // credential that always answers the given token.
            TokenCredential cred = new FixedTokenCredential(c.token, c.credentialScopes);
            b = OpenAIOkHttpClient.builder()
                    .baseUrl(c.baseUrl)
                    .credential(BearerTokenCredential.create(AuthenticationUtil.getBearerTokenSupplier(cred, c.scope)));
        } else if ("key".equals(c.auth)) {
            b = OpenAIOkHttpClient.builder().baseUrl(c.baseUrl).apiKey(c.apiKey);
        } else {
            return fromEnv(c);
        }
        return withOptions(b, c).build();
    }

    private static OpenAIOkHttpClient.Builder withOptions(OpenAIOkHttpClient.Builder b, Call c) {
        if (c.maxRetries != null) {
            b.maxRetries(c.maxRetries);
        }
        if (c.timeoutMs != null) {
            b.timeout(Duration.ofMillis(c.timeoutMs));
        }
        return b;
    }

    /** Java cannot set its own environment: the variables become the system properties fromEnv() reads first. */
    private static synchronized OpenAIClient fromEnv(Call c) {
        Map<String, String> saved = new HashMap<>();
        for (String prop : ENV_PROPERTIES.values()) {
            saved.put(prop, System.getProperty(prop));
            System.clearProperty(prop);
        }
        try {
            Iterator<Map.Entry<String, JsonNode>> it = c.env.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String prop = ENV_PROPERTIES.get(e.getKey());
                if (prop == null) {
                    c.envIgnored.add(e.getKey());
                } else {
                    System.setProperty(prop, e.getValue().asText());
                }
            }
            if (c.maxRetries == null && c.timeoutMs == null) {
                return OpenAIOkHttpClient.fromEnv();
            }
            return withOptions(OpenAIOkHttpClient.builder().fromEnv(), c).build();
        } finally {
            for (Map.Entry<String, String> e : saved.entrySet()) {
                if (e.getValue() == null) {
                    System.clearProperty(e.getKey());
                } else {
                    System.setProperty(e.getKey(), e.getValue());
                }
            }
        }
    }

    /** A credential that always answers one token, valid for an hour, and records every scope asked for. */
    static final class FixedTokenCredential implements TokenCredential {
        private final String token;
        private final List<String> scopes;

        FixedTokenCredential(String token, List<String> scopes) {
            this.token = token;
            this.scopes = scopes;
        }

        private AccessToken answer(TokenRequestContext ctx) {
            synchronized (scopes) {
                scopes.addAll(ctx.getScopes() == null ? new ArrayList<>() : ctx.getScopes());
            }
            return new AccessToken(token, OffsetDateTime.now().plusHours(1));
        }

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext ctx) {
            return Mono.fromCallable(() -> answer(ctx));
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext ctx) {
            return answer(ctx);
        }
    }
}
