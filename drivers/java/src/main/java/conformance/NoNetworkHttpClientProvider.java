package conformance;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpClientProvider;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * azure-core's default HTTP client, replaced. azure-identity 1.18.0's AuthenticationUtil.getBearerTokenSupplier
 * sends a real "GET https://www.example.com" through azure-core's default client each time the supplier is asked
 * for a token, and reads the Authorization header off the request. No traffic leaves loopback here: this client
 * answers 200 in-process and records the request, which the driver reports as identity_requests.
 * Selected by the system property AZURE_HTTP_CLIENT_IMPLEMENTATION (Driver.main sets it).
 */
public final class NoNetworkHttpClientProvider implements HttpClientProvider {
    private static final List<String> REQUESTS = new ArrayList<>();

    @Override
    public HttpClient createInstance() {
        return request -> {
            synchronized (REQUESTS) {
                REQUESTS.add(request.getHttpMethod() + " " + request.getUrl());
            }
            return Mono.just(new Answer(request));
        };
    }

    /** The requests recorded since the last drain. */
    static List<String> drain() {
        synchronized (REQUESTS) {
            List<String> out = new ArrayList<>(REQUESTS);
            REQUESTS.clear();
            return out;
        }
    }

    private static final class Answer extends HttpResponse {
        Answer(HttpRequest request) {
            super(request);
        }

        @Override
        public int getStatusCode() {
            return 200;
        }

        @Override
        @Deprecated
        public String getHeaderValue(String name) {
            return null;
        }

        @Override
        public HttpHeaders getHeaders() {
            return new HttpHeaders();
        }

        @Override
        public Flux<ByteBuffer> getBody() {
            return Flux.empty();
        }

        @Override
        public Mono<byte[]> getBodyAsByteArray() {
            return Mono.just(new byte[0]);
        }

        @Override
        public Mono<String> getBodyAsString() {
            return Mono.just("");
        }

        @Override
        public Mono<String> getBodyAsString(Charset charset) {
            return Mono.just("");
        }
    }
}
