"""The SDK server (aoai_conformance.sdks.server): scopes never cross, every attempt is logged, each source answers
(replay in order, the stand-in, a fault script, a pass-through), a miss is flagged, TLS works with the CA file."""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit

import pytest

from aoai_conformance.faultproxy import drop, retry_after_ms, status
from aoai_conformance.scrub import Scrubber
from aoai_conformance.sdks.server import MISS_STATUS, Replay, SdkServer, Upstream
from aoai_conformance.standin import StandIn


def interaction(
    body: dict, code: int = 200, headers: dict | None = None, request: dict | None = None
) -> dict:
    return {
        "request": {"body": json.dumps(request or {"model": "m"}), "method": "POST", "uri": "x"},
        "response": {
            "status": {"code": code, "message": ""},
            "headers": {"content-type": ["application/json"], **{k: [v] for k, v in (headers or {}).items()}},
            "body": {"string": json.dumps(body)},
        },
    }


def post(base_url: str, path: str, body: dict, headers: dict | None = None, cafile: str | None = None):
    parts = urlsplit(base_url + path)
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=cafile)
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, context=ctx
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(
            "POST", parts.path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})}
        )
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture
def server():
    with SdkServer() as s:
        yield s


def test_replay_serves_in_order_whatever_the_body(server):
    scope = server.scope(Replay([interaction({"n": 1}), interaction({"n": 2})]))
    first = post(scope.base_url, "chat/completions", {"anything": True})
    second = post(scope.base_url, "chat/completions", {"else": 1})
    assert json.loads(first[2]) == {"n": 1} and json.loads(second[2]) == {"n": 2}
    assert [a.json for a in scope.attempts] == [{"anything": True}, {"else": 1}]
    assert scope.attempts[0].path == "/openai/v1/chat/completions"


def test_scopes_never_cross(server):
    a = server.scope(Replay([interaction({"scope": "a"})]))
    b = server.scope(Replay([interaction({"scope": "b"})]))
    assert json.loads(post(b.base_url, "responses", {})[2]) == {"scope": "b"}
    assert json.loads(post(a.base_url, "responses", {})[2]) == {"scope": "a"}
    assert len(a.attempts) == len(b.attempts) == 1
    a.close()
    code, _, _ = post(a.base_url, "responses", {})  # a closed scope answers nobody
    assert code == 404 and len(a.attempts) == 1


def test_a_replay_miss_is_flagged_and_not_retried(server):
    scope = server.scope(Replay([interaction({"n": 1})]))
    post(scope.base_url, "chat/completions", {})
    code, headers, _ = post(scope.base_url, "chat/completions", {})
    assert code == MISS_STATUS and headers.get("x-should-retry") == "false"
    assert [a.miss for a in scope.attempts] == [False, True]


def test_attempt_log_keeps_credentials_in_memory_and_scrubs_them_for_writing(server):
    scope = server.scope(Replay([interaction({"ok": True}, headers={"x-request-id": "r1"})]))
    post(
        scope.base_url,
        "responses",
        {"input": "hi"},
        {"Authorization": "Bearer secret-key-123", "X-Stainless-Retry-Count": "0"},
    )
    attempt = scope.attempts[0]
    sent = attempt.sent()
    assert sent.headers["authorization"] == "Bearer secret-key-123" and sent.status == 200
    assert sent.response_headers["x-request-id"] == "r1" and sent.t > 0
    written = json.dumps(attempt.scrubbed(Scrubber(["secret-key-123"], server.url)))
    assert "secret-key-123" not in written and "authorization" not in written.lower()
    assert str(server.port) not in written


def test_fault_script_then_the_normal_source(server):
    scope = server.scope(
        Replay([interaction({"answer": 1})]), [status(503, headers=retry_after_ms(2)), drop()]
    )
    code, headers, body = post(scope.base_url, "chat/completions", {})
    assert code == 503 and headers["retry-after-ms"] == "2" and json.loads(body)["error"]["code"]
    with pytest.raises((http.client.HTTPException, OSError)):
        post(scope.base_url, "chat/completions", {})
    assert json.loads(post(scope.base_url, "chat/completions", {})[2]) == {"answer": 1}
    log = scope.sent()
    assert [s.status for s in log] == [503, 599, 200] and log[1].fault == "drop"
    assert log[0].response_body is not None  # error answers are kept for every_error_answer


def test_skip_faults_drops_the_recorded_fault_answers():
    replay = Replay([interaction({}, 500), interaction({}, 503), interaction({"ok": 1})])
    assert replay.skip_faults([status(500), status(503), status(500)]) == 2
    served = replay.next()
    assert served is not None and json.loads(served.body) == {"ok": 1}


def test_recorded_drop_is_replayed_as_a_drop(server):
    dropped = {
        "request": {"body": "{}"},
        "response": {
            "status": {"code": 599},
            "headers": {"x-aoai-conformance-fault": ["RemoteProtocolError"]},
            "body": {"string": "gone"},
        },
    }
    scope = server.scope(Replay([dropped]))
    with pytest.raises((http.client.HTTPException, OSError)):
        post(scope.base_url, "chat/completions", {})
    assert scope.attempts[0].sent().fault == "drop"


def test_stand_in_source_forwards_and_logs():
    with StandIn(api_key="k-standin") as standin, SdkServer() as server:
        scope = server.scope(Upstream(standin.base_url))
        code, headers, body = post(
            scope.base_url,
            "chat/completions",
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8},
            {"Authorization": "Bearer k-standin"},
        )
        assert code == 200 and json.loads(body)["object"] == "chat.completion"
        assert scope.attempts[0].served.source == "upstream"
        assert scope.sent()[0].status == 200 and scope.sent()[0].response_headers["x-request-id"]
        assert standin.requests[-1].path == "/openai/v1/chat/completions"


def test_tls_with_the_generated_certificate():
    with SdkServer(tls=True) as server:
        assert server.url.startswith("https://") and server.ca_file
        scope = server.scope(Replay([interaction({"tls": True})]))
        code, _, body = post(scope.base_url, "responses", {}, cafile=server.ca_file)
        assert code == 200 and json.loads(body) == {"tls": True}
        with pytest.raises(ssl.SSLError):
            post(scope.base_url, "responses", {})  # not trusted without the CA file
