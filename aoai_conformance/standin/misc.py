"""GET /openai/v1/models and /openai/v1/fine_tuning/jobs."""

from __future__ import annotations

from ..documented import azure_errors
from .reply import (
    Reply,
    ReplyError,
    deployment_not_found,
    gateway_error,
    invalid_request,
    json_reply,
    not_found,
)

MODELS_CREATED = 1715558400  # fixed, so listings are deterministic


def models(ctx, method: str, rest: str, body=None) -> Reply:
    if method != "GET":
        raise ReplyError(not_found())

    def entry(name):
        return {"id": name, "object": "model", "created": MODELS_CREATED, "owned_by": "system"}

    if rest.strip("/"):
        name = rest.strip("/")
        if name not in ctx.deployments:
            raise ReplyError(deployment_not_found())
        return json_reply(entry(name))
    return json_reply({"object": "list", "data": [entry(n) for n in ctx.deployments]})


def fine_tuning_jobs_route(req) -> Reply:
    """POST /fine_tuning/jobs (the fine_tuning row); the route's other paths: ``fine_tuning_jobs``."""
    return fine_tuning_jobs(req.ctx, req.method, "", req.body)


def fine_tuning_jobs(ctx, method: str, rest: str, body) -> Reply:
    """The stand-in holds no files, so every job creation names a training file that does not exist (the
    documented error-handling example uses training_file="file-test"), answered as azure_errors says why. The
    SDK maps it to BadRequestError (an APIStatusError, as the example catches)."""
    if rest.strip("/"):
        job = rest.strip("/").split("/")[0]
        raise ReplyError(gateway_error(404, azure_errors.fine_tuning_job_not_found(job)))
    if method == "GET":
        return json_reply({"object": "list", "data": [], "has_more": False})
    if method != "POST":
        raise ReplyError(not_found())
    if not isinstance(body, dict):
        raise ReplyError(invalid_request("We could not parse the JSON body of your request.", None, None))
    for field in ("model", "training_file"):
        if not body.get(field):
            raise ReplyError(gateway_error(400, azure_errors.fine_tuning_payload(field)))
    raise ReplyError(gateway_error(400, azure_errors.training_file_missing(body["training_file"])))
