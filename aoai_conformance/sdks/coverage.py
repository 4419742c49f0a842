"""What each SDK's section of the documentation covers (001_60994d7e1bcccbfb.txt), and what its sources add.

Per SDK: the documented calls and auth modes, each citing its section ("JavaScript / Responses /
responses.create"); its retry policy and error class per status (the section where it has them, else the SDK's
own sources, cited by file); its request-id accessor. A suite test whose feature or auth mode an SDK's section
does not cover is skipped for that SDK as "not documented for <sdk>: <why>".

Facts from the SDKs' sources (read in the installed packages, the versions the docs pin):
- openai-node 6.x ``client.js``: ``shouldRetry`` obeys ``x-should-retry``, then retries 408, 409, 429, >=500;
  ``retryRequest`` waits ``retry-after-ms``, else ``retry-after`` (seconds or date; a cap of 60 s up to 6.25, none
  from 6.26: :data:`NODE_RETRIES`), else ``min(0.5 * 2**n, 8) s`` minus up to 25 % jitter; errors ``BadRequestError`` ... ``InternalServerError``,
  ``APIConnectionError``; the request id is ``response._request_id`` / ``err.requestID``.
- openai-go v2 ``internal/requestconfig/requestconfig.go``: ``shouldRetry`` obeys ``x-should-retry``, then 408,
  409, 429, >=500 and connection errors; ``retryDelay`` honours retry-after only when ``0 <= d < 1 min``, else
  the same backoff; every status error is ``*openai.Error``. No request-id accessor on a returned value.
- openai-java 4.0.x ``core/http/RetryingHttpClient.kt``: the same list; retry-after honoured in ``0..1 min``,
  else backoff; ``ErrorHandler.kt`` maps 400 ``BadRequestException`` ... 5xx ``InternalServerException``,
  others ``UnexpectedStatusCodeException``; I/O failures ``OpenAIIoException``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..expectations import in_range
from ..sdk import ForeignProfile, RetryPolicy

SEED = "001_60994d7e1bcccbfb.txt"

# The suites' report rows (the ``@documented`` call) -> the feature an SDK section must cover.
FEATURES = {
    "chat.completions.create": "chat.completions.create",
    "chat.completions.create (image input)": "chat.completions.create",
    "chat.completions.create (stream)": "chat.completions.create (stream)",
    "responses.create": "responses.create",
    "responses.create (reasoning)": "responses.create",
    "responses.create (stream)": "responses.create (stream)",
    "responses.create (MCP tool)": "responses.create (MCP tool)",
    "embeddings.create": "embeddings.create",
    "_request_id": "request ids",
}


def feature(doc_call: str) -> str:
    """The feature a suite test's report row needs (errors and retries rows by their prefix)."""
    if doc_call.startswith("error code"):
        return "error codes"
    if doc_call.startswith("retries"):
        return "retries"
    return FEATURES.get(doc_call, doc_call)


@dataclass(frozen=True)
class Coverage:
    sdk: str  # the --sdk name
    section: str  # the seed's section heading
    features: dict[str, str]  # feature -> its citation
    auth: dict[str, str]  # auth mode -> its citation
    profile: ForeignProfile
    clients: tuple[str, ...]  # the driver's clients (the first is the default)
    tls: bool = False  # the driver's Entra path needs https (the server serves TLS, the driver trusts it)
    body_defaults: dict[str, dict[str, object]] = field(default_factory=dict)  # call -> fields the SDK adds
    retries: tuple[RetryPolicy, ...] = ()  # its retry policy per version range (RETRY_POLICIES)

    def retry_policy(self, version: str | None) -> RetryPolicy:
        """The row of :data:`RETRY_POLICIES` for the SDK version running (the driver's hello); an unknown or
        unlisted version gets the pinned version's row (``profile.retry``)."""
        for row in self.retries:
            if version and in_range(version, row.versions):
                return row
        return self.profile.retry

    def covers(self, feature_name: str) -> str | None:
        return self.features.get(feature_name)

    def why_not(self, feature_name: str) -> str:
        return f"not documented for {self.sdk}: {feature_name} (not in the {self.section} section)"

    def why_not_auth(self, auth: str) -> str:
        return f"not documented for {self.sdk}: auth mode {auth} (the {self.section} section shows {', '.join(self.auth)})"


# Each SDK's retry policy per version range, every row from that version's sources (read in the installed
# package) or the driver's measurements (drivers/*/README.md, FINDINGS.md). What differs between rows is the
# server-directed wait: retry-after(-ms) honoured up to a cap, and what a longer one gets.
# The "Error codes" table the .NET and JavaScript sections both print, word for word ("Error Type" column; 502 is
# not listed).
SECTION_ERROR_CODES = {
    400: "Bad Request Error",
    401: "Authentication Error",
    403: "Permission Denied Error",
    404: "Not Found Error",
    422: "Unprocessable Entity Error",
    429: "Rate Limit Error",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_NODE_RETRIED = "408, 409, 429, >=500 and connection errors; x-should-retry either way"
NODE_RETRIES = (
    RetryPolicy(
        versions=">=6,<6.26",
        retry_after_cap=60.0,
        above_cap="backoff",
        cite="openai-node 6.25.0 client.js retryRequest: retry-after honoured when 0 <= ms < 60 * 1000, else the "
        f"backoff (drivers/node/README.md, measured on 6.25.0); retries {_NODE_RETRIED}",
    ),
    RetryPolicy(
        versions=">=6.26",
        retry_after_cap=None,
        cite="openai-node 6.30.1 and 6.49.0 client.js retryRequest: any retry-after is slept (backoff only when "
        "none is given), 3600 s included, the abort signal ignored (drivers/node/README.md, measured on 6.30.1; "
        f"changed in 6.26.0); retries {_NODE_RETRIED}",
    ),
)
GO_RETRIES = (
    RetryPolicy(
        versions=">=2,<3",
        retry_after_cap=60.0,
        above_cap="backoff",
        cite="openai-go v2.1.1 and v2.7.1 internal/requestconfig/requestconfig.go retryDelay: honoured when "
        "0 <= d < time.Minute, else the backoff (drivers/go/FINDINGS.md: 61 s and 121 s retried after 0.42-0.46 s)",
    ),
    RetryPolicy(
        versions=">=3,<3.99",
        retry_after_cap=None,
        cite="openai-go v3.52.0 internal/requestconfig/requestconfig.go retryDelay: max(0, retry-after), no cap "
        "(drivers/go/FINDINGS.md; versions between 3.52.0 and 3.99.0 not read, taken as 3.52.0's)",
    ),
    RetryPolicy(
        versions=">=3.99",
        retry_after_cap=120.0,
        cap_inclusive=True,
        above_cap="no-retry",
        cite="openai-go v3.99.0 internal/requestconfig/requestconfig.go parseRetryAfterHeader(res, "
        "DefaultMaxServerDelay): honoured up to 120 s, a longer wait is not retried (drivers/go/FINDINGS.md)",
    ),
)
JAVA_RETRIES = (
    RetryPolicy(
        versions=">=4,<4.24",
        retry_after_cap=60.0,
        cap_inclusive=True,
        above_cap="backoff",
        cite="openai-java 4.0.0 to 4.23.0 core/http/RetryingHttpClient.kt: retry-after honoured in 0..1 min, a "
        "longer one ignored for the backoff (drivers/java/FINDINGS.md section 4: 61 s retried after 0.40-0.5 s)",
    ),
    RetryPolicy(
        versions=">=4.24,<4.71",
        retry_after_cap=None,
        cite="openai-java 4.26.0 to 4.70.0 core/http/RetryingHttpClient.kt: any retry-after obeyed "
        "(drivers/java/FINDINGS.md section 4, measured on 4.33.0; 4.24.0 and 4.25.0 are not served, taken as 4.26.0's)",
    ),
    RetryPolicy(
        versions=">=4.71",
        retry_after_cap=8.0,
        cap_inclusive=True,
        above_cap="clamp",
        cite="openai-java 4.71.0 to 4.101.0 core/http/RetryingHttpClient.kt: retry-after clamped to 8 s "
        "(drivers/java/FINDINGS.md section 4: 30 s and 61 s waited 8.03 s on 4.101.0)",
    ),
)

NODE = Coverage(
    sdk="node",
    section="JavaScript",
    features={
        "responses.create": "JavaScript / Responses / responses.create",
        "responses.create (stream)": "JavaScript / Responses / Streaming",
        "responses.create (MCP tool)": "JavaScript / Responses / MCP Server",
        "chat.completions.create": "JavaScript / Chat / chat.completions.create",
        "error codes": "JavaScript / Error handling / Error codes",
        "retries": "JavaScript / Retries",
    },
    auth={
        "entra": "JavaScript / Authentication (getBearerTokenProvider passed as apiKey)",
        "env": "JavaScript / Retries (`new OpenAI({ maxRetries: 0 })`: key and URL from OPENAI_API_KEY and "
        "OPENAI_BASE_URL)",
    },
    profile=ForeignProfile(
        sdk="node",
        package="openai-node",
        error_classes={
            400: "BadRequestError",
            401: "AuthenticationError",
            403: "PermissionDeniedError",
            404: "NotFoundError",
            409: "ConflictError",
            422: "UnprocessableEntityError",
            429: "RateLimitError",
        },
        server_error_class="InternalServerError",
        other_status_class="APIError",
        connection_classes=("APIConnectionError", "APIConnectionTimeoutError"),
        documented_classes=SECTION_ERROR_CODES,
        documented_table="JavaScript / Error handling / Error codes",
        request_id="response._request_id / err.requestID (openai-node's sources; the README writes request_id)",
        retry=NODE_RETRIES[-1],  # the pinned 6.49.0; the section: "JavaScript / Retries" (twice by default)
    ),
    clients=("async",),
    retries=NODE_RETRIES,
    body_defaults={"embeddings.create": {"encoding_format": "base64"}},
)

GO = Coverage(
    sdk="go",
    section="Go",
    features={
        "chat.completions.create": "Go / Authentication (client.Chat.Completions.New)",
        "embeddings.create": "Go / Embeddings (client.Embeddings.New)",
        "responses.create": "Go / Responses (client.Responses.New)",
    },
    auth={
        "entra": "Go / Authentication (azure.WithTokenCredential)",
        "key": "Go / Embeddings (option.WithAPIKey)",
    },
    profile=ForeignProfile(
        sdk="go",
        package="openai-go",
        error_classes={},
        server_error_class="Error",
        other_status_class="Error",  # every status error is *openai.Error
        connection_classes=("APIConnectionError", "url.Error", "OpError"),
        documented_classes={},
        documented_table="",
        request_id=None,
        retry=GO_RETRIES[0],  # the docs' v2.1.1 (the Go section documents no retries)
    ),
    clients=("sync",),
    retries=GO_RETRIES,
    tls=True,  # azcore's BearerTokenPolicy refuses a credential over plain http
)

JAVA = Coverage(
    sdk="java",
    section="Java",
    features={"responses.create": "Java / Responses (client.responses().create)"},
    auth={
        "entra": "Java / Authentication (BearerTokenCredential + AuthenticationUtil.getBearerTokenSupplier)",
        "key": "Java / Responses (.apiKey(apiKey), the key read from OPENAI_API_KEY)",
    },
    profile=ForeignProfile(
        sdk="java",
        package="openai-java",
        error_classes={
            400: "BadRequestException",
            401: "UnauthorizedException",
            403: "PermissionDeniedException",
            404: "NotFoundException",
            422: "UnprocessableEntityException",
            429: "RateLimitException",
        },
        server_error_class="InternalServerException",
        other_status_class="UnexpectedStatusCodeException",
        connection_classes=("OpenAIIoException",),
        documented_classes={},
        documented_table="",
        request_id=None,
        strict="validate()",
        retry=JAVA_RETRIES[0],  # the pinned 4.0.x (the Java section documents no retries)
    ),
    clients=("sync", "async"),
    retries=JAVA_RETRIES,
)

# .NET: NuGet is not reachable from this machine, so there is no driver yet; the section's calls stay here in the
# same form, so a driver added where NuGet is reachable runs them (--sdk dotnet is "not run" until then).
DOTNET = Coverage(
    sdk="dotnet",
    section=".NET",
    features={
        "chat.completions.create": ".NET / Chat (ChatClient.CompleteChat)",
        "embeddings.create": ".NET / Embeddings (EmbeddingClient.GenerateEmbedding)",
        "responses.create": ".NET / Responses API (OpenAIResponseClient.CreateResponseAsync)",
        "responses.create (stream)": ".NET / Streaming (CreateResponseStreamingAsync)",
        "responses.create (MCP tool)": ".NET / MCP Server",
        "error codes": ".NET / Error handling / Error codes",
        "retries": ".NET / Retries",
    },
    auth={
        "entra": ".NET / Authentication (BearerTokenPolicy over DefaultAzureCredential)",
        "key": ".NET / Embeddings (ApiKeyCredential, the key read from AZURE_OPENAI_API_KEY)",
    },
    profile=ForeignProfile(
        sdk="dotnet",
        package="OpenAI (.NET)",
        error_classes={},
        server_error_class="ClientResultException",
        other_status_class="ClientResultException",  # System.ClientModel: one exception, its Status
        connection_classes=("ClientResultException",),
        documented_classes=SECTION_ERROR_CODES,
        documented_table=".NET / Error handling / Error codes",
        request_id=None,
        retry=RetryPolicy(
            cite=".NET / Retries (up to three more times: 408, 429, 500, 502, 503, 504); its retry-after "
            "handling is neither documented nor read (System.ClientModel's sources: NuGet is unreachable here)",
            retry_after_cap=None,
            max_retries=3,
            retried=(408, 429),
        ),
    ),
    clients=("sync", "async"),
)
NO_DRIVER = {
    "dotnet": "no .NET driver: NuGet is not reachable from this machine (the .NET section's calls are kept in "
    "aoai_conformance/sdks/coverage.py for a driver built where it is)",
}

SDKS: dict[str, Coverage] = {c.sdk: c for c in (NODE, GO, JAVA, DOTNET)}
NAMES = ("python", *SDKS)


def of(sdk: str) -> Coverage:
    return SDKS[sdk]
