"""The wire operators: the content type, the request id header, the status, a credential accepted."""

from __future__ import annotations

import copy
import json
from typing import Any

from .answer import Answer


def change_content_type(ans: Answer) -> tuple[dict, str] | None:
    old = ans.header("content-type")
    if old is None:
        return None
    new = "application/json" if ans.is_stream else "text/plain; charset=utf-8"
    return ans.with_header("content-type", new), f"content-type: {old} -> {new}"


def strip_request_id(ans: Answer) -> tuple[dict, str] | None:
    if ans.header("x-request-id") is None:
        return None
    return ans.with_header("x-request-id", None), "removed the x-request-id header"


SWAPS = {401: 403, 403: 401, 404: 400, 400: 404}


def swap_status(ans: Answer) -> tuple[dict, str] | None:
    if ans.status not in SWAPS:
        return None
    return ans.with_status(SWAPS[ans.status]), f"HTTP {ans.status} -> {SWAPS[ans.status]}"


def status_400_to_500(ans: Answer) -> tuple[dict, str] | None:
    if ans.status != 400:
        return None
    return ans.with_status(500), "HTTP 400 -> 500"


_SUCCESS: dict[str, Any] = {}


def success_answer() -> dict[str, Any]:
    """A recorded chat.completion answer (200) from the bundled chat cassette."""
    if not _SUCCESS:
        from .. import paths

        data = json.loads((paths.cassettes() / "standin" / "chat" / "test_chat_completion.json").read_text())
        _SUCCESS.update(data["interactions"][0]["response"])
    return copy.deepcopy(_SUCCESS)


def accept_without_credentials(ans: Answer) -> tuple[dict, str] | None:
    if ans.status != 401:
        return None
    return success_answer(), "HTTP 401 -> 200 with a chat.completion body (a wrong credential accepted)"
