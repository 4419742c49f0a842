"""What the SDK server answers besides its sources: scripted faults (as the fault proxy answers them), errors of
its own, and a stream cut after N events."""

from __future__ import annotations

import email.utils
import json
import uuid

from ..core.sse import FirstEvents
from ..faultproxy.faults import Fault, azure_error_body

HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length", "host"}
)


def first_events(body: bytes, n: int) -> bytes:
    data, _ = FirstEvents(n).feed(body)
    return data


def error_body(message: str, code: str = "aoai_conformance") -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def fault_answer(fault: Fault, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A scripted status, as the fault proxy answers it: Azure's error body, a request id, the fault's headers."""
    code = fault.status or 500
    body = fault.body if fault.body is not None else json.dumps(azure_error_body(code, path)).encode()
    names = {k.lower() for k, _ in fault.headers}
    headers: list[tuple[str, str]] = []
    if "content-type" not in names:
        headers.append(("content-type", "application/json"))
    if "x-request-id" not in names:
        rid = str(uuid.uuid4())
        headers += [("x-request-id", rid), ("apim-request-id", rid)]
    headers.append(("date", email.utils.formatdate(usegmt=True)))
    headers += [(k, v) for k, v in fault.headers if k.lower() not in HOP]
    return (code, headers, body)
