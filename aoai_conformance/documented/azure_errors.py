"""Azure OpenAI's error answers, each text written once: the stand-in and the fault proxy both read them here.

Two shapes reach a client of an Azure OpenAI v1 resource:

* the gateway's own (APIM / Cognitive Services front door): ``{"error": {"code": "...", "message": "..."}}``,
  used for auth, unknown deployments, unknown routes and the statuses a fault proxy injects
  (``AzureErrorResponse`` in the v1 spec has exactly code / message, optionally param / type / inner_error);
* the model service's validation errors, passed through in OpenAI's shape
  (``{"error": {"message", "type": "invalid_request_error", "param", "code"}}``): the stand-in builds those
  per request (``standin.reply.invalid_request``), with the parameter they name.

The messages follow what Azure resources are seen to return; they are plausible stand-ins, not recordings.
The bundled cassettes were recorded from these bytes (through the stand-in and the fault proxy): change a text
and those cassettes no longer hold what the servers send.

A layer module: the standard library only, nothing of the engine (``tests/test_import_rule.py``); the servers
(``standin``, ``faultproxy``) import it, never the other way round.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ACCESS_DENIED",
    "DEPLOYMENT_NOT_FOUND",
    "ENTRA_REFUSED",
    "INTERNAL_ERROR",
    "INTERNAL_ERROR_STANDIN",
    "MUTATOR_RAISED",
    "RESOURCE_NOT_FOUND",
    "AzureError",
    "by_status",
    "fine_tuning_job_not_found",
    "fine_tuning_payload",
    "operation",
    "operation_not_supported",
    "rate_limited",
    "training_file_missing",
]


@dataclass(frozen=True)
class AzureError:
    """One gateway-shaped error: its ``code`` (a string, often the status itself) and ``message``."""

    code: str
    message: str

    def body(self) -> dict[str, Any]:
        """``{"error": {"code", "message"}}``, in that key order (the bytes the cassettes hold)."""
        return {"error": {"code": self.code, "message": self.message}}


# 401: no or a wrong credential (key or token), from the gateway.
ACCESS_DENIED = AzureError(
    "401",
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource.",
)
# 404 has two texts, for two different misses: the stand-in answers DeploymentNotFound when a documented
# call names a deployment the resource lacks (and the fault proxy injects that one, the 404 a client of a
# documented call meets), and "Resource not found" for a path that is no route of the v1 API at all.
DEPLOYMENT_NOT_FOUND = AzureError(
    "DeploymentNotFound",
    "The API deployment for this resource does not exist. If you created the deployment within the last "
    "5 minutes, please wait a moment and try again.",
)
RESOURCE_NOT_FOUND = AzureError("404", "Resource not found")
# 500 has two texts too: the fault proxy injects the full text Azure's model service sends (six bundled
# cassettes hold it); the stand-in answers the text's first sentence only when one of its own routes raised
# (a stand-in bug, never recorded on purpose), so a reader of the log can tell the two apart.
INTERNAL_ERROR = AzureError(
    "InternalServerError",
    "The server had an error processing your request. Sorry about that! You can retry your request, "
    "or contact us through an Azure support request at: "
    "https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error.",
)
INTERNAL_ERROR_STANDIN = AzureError("InternalServerError", "The server had an error processing your request.")
# The stand-in's answer when a test's mutator raised: a broken mutator must not look like a dropped connection.
MUTATOR_RAISED = AzureError("InternalServerError", "The stand-in's mutator raised.")

# 401 for an Entra token on embeddings: "Embeddings currently don't support Microsoft Entra ID with Azure OpenAI
# and the v1 API." (000_618f909ca6807cc5.txt, Embeddings, Microsoft Entra ID tab). The body is the one Azure
# sends when a token's principal may not call an operation, as reported in MicrosoftDocs/azure-docs#119588
# ("Error code: 401 - {'error': {'code': 'PermissionDenied', 'message': 'Principal does not have access to
# API/Operation.'}}") for embeddings calls made with an Entra token.
ENTRA_REFUSED = AzureError("PermissionDenied", "Principal does not have access to API/Operation.")


def operation_not_supported(op: str, model: str) -> AzureError:
    """400 from the gateway when a deployment's model cannot serve the operation (``op``: chatCompletion,
    responses, embeddings)."""
    return AzureError(
        "OperationNotSupported",
        f"The {op} operation does not work with the specified model, {model}. Please choose "
        "different model and try again. You can learn more about which models can be used with each "
        "operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
    )


# Fine-tuning: neither the v1 spec nor the docs show Azure's body for a job made from a file that does not
# exist; Azure's fine-tuning service reports payload problems with 400 and code "invalidPayload" (e.g. "The
# specified base model does not support fine-tuning."), so the stand-in answers a missing file the same way.
def fine_tuning_job_not_found(job: str) -> AzureError:
    return AzureError("NotFound", f"Fine-tuning job '{job}' was not found.")


def fine_tuning_payload(field: str) -> AzureError:
    """400: a required field of the job is missing."""
    return AzureError("invalidPayload", f"The '{field}' field is required.")


def training_file_missing(file_id: str) -> AzureError:
    """400: the job names a training file that was never uploaded (the documented example's "file-test")."""
    return AzureError(
        "invalidPayload",
        f"The specified training file '{file_id}' does not exist or is not accessible. Upload the file first and "
        "use the returned file id.",
    )


# The operation names Azure's rate-limit message quotes, by the path's tail.
_OPERATIONS = {
    "chat/completions": "ChatCompletions_Create",
    "completions": "Completions_Create",
    "embeddings": "Embeddings_Create",
    "responses": "Responses_Create",
    "images/generations": "ImageGenerations_Create",
    "audio/transcriptions": "Transcriptions_Create",
    "audio/speech": "Speech_Create",
}


def operation(path: str) -> str:
    """The operation name for a request path (``/openai/v1/embeddings`` -> ``Embeddings_Create``);
    chat completions when the path names none."""
    tail = urlsplit(path).path.rstrip("/")
    for suffix, name in sorted(_OPERATIONS.items(), key=lambda kv: -len(kv[0])):
        if tail.endswith("/" + suffix):
            return name
    return "ChatCompletions_Create"


def rate_limited(op: str) -> AzureError:
    """429: the token rate limit of the resource's tier, naming the operation ``op``."""
    return AzureError(
        "429",
        f"Requests to the {op} Operation under Azure OpenAI API version v1 have exceeded token rate "
        "limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: "
        "https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
    )


# The gateway's answer per status, as a client of a documented call meets it (the statuses the fault proxy
# injects without a body of its own); 429 is built per operation, see rate_limited.
_BY_STATUS: dict[int, AzureError] = {
    400: AzureError("BadRequest", "The request is invalid."),
    401: ACCESS_DENIED,
    403: AzureError("403", "Access denied due to Virtual Network/Firewall rules."),
    404: DEPLOYMENT_NOT_FOUND,
    408: AzureError("Timeout", "The operation was timeout."),
    409: AzureError("Conflict", "The request conflicts with the current state of the resource."),
    422: AzureError("UnprocessableEntity", "The request could not be processed."),
    500: INTERNAL_ERROR,
    502: AzureError("BadGateway", "Bad gateway."),
    503: AzureError(
        "ServiceUnavailable",
        "The service is temporarily unable to process your request. Please try again later.",
    ),
    504: AzureError("GatewayTimeout", "The operation timed out."),
}


def by_status(status: int, path: str = "/openai/v1/chat/completions") -> AzureError:
    """The gateway's error for ``status`` on a request to ``path``; a status without a known text gets its
    HTTP reason phrase (code: the status)."""
    if status == 429:
        return rate_limited(operation(path))
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    return AzureError(str(status), http.client.responses.get(status, "Error") + ".")
