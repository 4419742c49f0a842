"""The data a stand-in reply is made of, and the Azure-shaped error replies (texts: documented.azure_errors).

Every reply is built as a :class:`Reply` first and serialised last, so a ``mutator`` can break one promise
at a time (drop a header, rename a field, reorder stream events) without knowing how HTTP is written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from ..documented import azure_errors
from ..documented.azure_errors import AzureError

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream"
DONE = "[DONE]"


@dataclass
class Reply:
    """One reply, before serialisation.

    ``body`` (dict / list: sent as JSON; str: sent verbatim, so a mutator can send broken JSON) or
    ``events`` (SSE: each a dict sent as ``data: <json>``, or a string sent as ``data: <string>``, e.g.
    ``"[DONE]"``). ``event_lines`` decides whether dict events also get an ``event: <type>`` line (as
    OpenAI and Azure do for the Responses API); ``None`` means "the route decides" (on for responses).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Optional[Union[dict, list, str]] = None
    events: Optional[list] = None
    event_lines: Optional[bool] = None

    @property
    def streaming(self) -> bool:
        return self.events is not None

    def copy(self) -> "Reply":
        return copy.deepcopy(self)


def json_reply(body: Any, status: int = 200) -> Reply:
    return Reply(status=status, headers={"content-type": JSON_TYPE}, body=body)


def sse_reply(events: list, status: int = 200) -> Reply:
    return Reply(status=status, headers={"content-type": SSE_TYPE}, events=events)


# --- Azure-shaped errors -------------------------------------------------------------------------------
# Their texts and the two shapes are documented.azure_errors (the fault proxy reads the same ones).


def gateway_error(status: int, error: AzureError) -> Reply:
    """The gateway's ``{"error": {"code", "message"}}`` answer with ``status``; its text is azure_errors'."""
    return json_reply(error.body(), status)


_azure = gateway_error


def unauthorized() -> Reply:
    return _azure(401, azure_errors.ACCESS_DENIED)


def not_found() -> Reply:
    return _azure(404, azure_errors.RESOURCE_NOT_FOUND)


def deployment_not_found() -> Reply:
    return _azure(404, azure_errors.DEPLOYMENT_NOT_FOUND)


def invalid_request(
    message: str, param: Optional[str] = None, code: Optional[str] = None, status: int = 400
) -> Reply:
    return json_reply(
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}},
        status,
    )


class ReplyError(Exception):
    """Raised inside a route to answer with ``reply`` (an error) instead of the normal result."""

    def __init__(self, reply: Reply):
        super().__init__(reply.status)
        self.reply = reply
