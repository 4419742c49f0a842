"""The fault proxy proved with the real SDK (openai on httpx2) against a tiny in-test upstream."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import openai
import pytest

from aoai_conformance import faultproxy as fp
from aoai_conformance.core.sse import FirstEvents
from aoai_conformance.faultproxy import (
    FaultProxy,
    closed_port_url,
    cut_stream,
    delay,
    drop,
    passthrough,
    retry_after,
    retry_after_date,
    retry_after_ms,
    stall,
    status,
    x_should_retry,
)

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = [{"role": "user", "content": "When was Microsoft founded?"}]
STREAM_WORDS = ["Micro", "soft ", "was ", "founded ", "in 1975."]
SPACING = 0.05  # seconds between upstream SSE chunks


# ------------------------------------------------------------------------------------------- the upstream
class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: list[dict] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(  # type: ignore[attr-defined]
            {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        )
        if self.path.split("?")[0] != "/openai/v1/chat/completions":
            self._json(404, {"error": {"code": "404", "message": "Resource not found"}})
            return
        req = json.loads(body or b"{}")
        if req.get("stream"):
            self._stream(req)
        else:
            self._json(200, completion(req.get("model", "gpt-4o")))

    def _json(self, code: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-upstream", "yes")
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, req: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events = [chunk(req.get("model", "gpt-4o"), i, w) for i, w in enumerate(STREAM_WORDS)]
        for i, ev in enumerate(events + ["[DONE]"]):
            if i:
                time.sleep(SPACING)
            data = f"data: {ev}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def completion(model: str) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Microsoft was founded in 1975."},
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 6, "total_tokens": 13},
    }


def chunk(model: str, i: int, word: str) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": model,
            "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
        }
    )


@pytest.fixture(scope="module")
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream):
    upstream.received.clear()
    with FaultProxy(f"http://127.0.0.1:{upstream.server_address[1]}/openai/v1/") as p:
        yield p


def client(proxy_or_url, **kw) -> openai.OpenAI:
    url = proxy_or_url if isinstance(proxy_or_url, str) else proxy_or_url.base_url
    return openai.OpenAI(base_url=url, api_key="test-key", **kw)


def fast_backoff(c: openai.OpenAI, seconds: float = 0.01) -> list:
    """Replace the SDK's own backoff (0.5 s, 1 s, ...) with a tiny one; returns the list of computed waits."""
    calls: list = []

    def calc(remaining_retries, options, response_headers=None):
        calls.append(remaining_retries)
        return seconds

    c._calculate_retry_timeout = calc  # type: ignore[method-assign]
    return calls


def create(c: openai.OpenAI, **kw):
    return c.chat.completions.create(model="gpt-4o", messages=MESSAGES, **kw)


# -------------------------------------------------------------------------------------------- pass-through
def test_passthrough_forwards_path_headers_and_body(proxy, upstream):
    assert proxy.base_url.startswith("http://127.0.0.1:") and proxy.base_url.endswith("/openai/v1/")
    out = create(client(proxy))
    assert out.choices[0].message.content == "Microsoft was founded in 1975."
    [a] = proxy.wait_for_attempts(1)
    assert a.action == "passthrough" and a.upstream_status == 200 and a.done is not None
    assert a.method == "POST" and a.path == "/openai/v1/chat/completions"
    assert a.headers["Authorization"] == "Bearer test-key"
    assert a.headers["authorization"] == "Bearer test-key"  # lookup is case-insensitive
    assert a.retry_count == "0"
    [got] = upstream.received
    assert got["path"] == "/openai/v1/chat/completions"
    assert got["body"] == a.body and json.loads(a.body)["messages"] == MESSAGES
    assert got["headers"]["host"] == f"127.0.0.1:{upstream.server_address[1]}"
    assert got["headers"]["authorization"] == "Bearer test-key"
    assert got["headers"]["x-stainless-retry-count"] == "0"


def test_status_headers_from_upstream_reach_the_sdk(proxy):
    raw = client(proxy).chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    assert raw.headers["x-upstream"] == "yes"
    assert raw.parse().object == "chat.completion"


def test_upstream_error_status_passes_through(proxy):
    with pytest.raises(openai.NotFoundError):
        client(proxy, max_retries=0).post("/nope", cast_to=object, body={})
    assert proxy.attempts[0].upstream_status == 404


# ----------------------------------------------------------------------------------------------- retries
def test_500_then_passthrough_is_retried_once(proxy):
    proxy.script([status(500, headers=retry_after_ms(10))])
    out = create(client(proxy))
    assert out.object == "chat.completion"
    attempts = proxy.attempts
    assert [a.retry_count for a in attempts] == ["0", "1"]
    assert attempts[0].action.startswith("status 500") and attempts[1].action == "passthrough"
    assert attempts[1].upstream_status == 200


def test_429_retry_after_ms_is_waited(proxy):
    proxy.script([status(429, headers=retry_after_ms(10))])
    create(client(proxy))
    first, second = proxy.attempts
    gap = second.monotonic - first.done
    # ~10 ms; the SDK's own first backoff would be >= 375 ms, so < 300 ms shows the header was honoured.
    assert 0.009 <= gap < 0.3, gap
    assert second.wall >= first.wall


def test_429_default_error_body_is_azure_shaped(proxy):
    proxy.script([status(429)])
    with pytest.raises(openai.RateLimitError) as ei:
        create(client(proxy, max_retries=0))
    assert ei.value.code == "429"
    assert "ChatCompletions_Create Operation under Azure OpenAI API version v1" in ei.value.message
    assert ei.value.response.headers["x-request-id"]
    assert len(proxy.attempts) == 1


def test_x_should_retry_false_stops_retry_of_500(proxy):
    proxy.script([status(500, headers={**retry_after_ms(10), **x_should_retry(False)})])
    with pytest.raises(openai.InternalServerError):
        create(client(proxy))
    assert len(proxy.attempts) == 1


def test_x_should_retry_true_retries_400(proxy):
    proxy.script([status(400, headers={**retry_after_ms(10), **x_should_retry(True)})])
    create(client(proxy))
    assert [a.retry_count for a in proxy.attempts] == ["0", "1"]


def test_retry_after_above_120s_is_not_retried(proxy):
    proxy.script([status(429, headers=retry_after(121))])
    t0 = time.monotonic()
    with pytest.raises(openai.RateLimitError):
        create(client(proxy))
    assert len(proxy.attempts) == 1 and time.monotonic() - t0 < 5


def test_retry_after_date_helper_is_an_http_date():
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    value = retry_after_date(when)["retry-after"]
    assert value == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert parsedate_to_datetime(value) == when


def test_retry_after_date_is_honoured(proxy):
    # An HTTP date has 1 s resolution, so the wait is up to ~1 s; this is the one test that waits for it.
    proxy.script([status(503, headers=retry_after_date(datetime.now(timezone.utc) + timedelta(seconds=1)))])
    create(client(proxy))
    first, second = proxy.attempts
    assert second.monotonic - first.done < 2.1


def test_max_retries_zero_disables_and_with_options_raises_budget(proxy):
    proxy.script([status(429, headers=retry_after_ms(10))])
    with pytest.raises(openai.RateLimitError):
        create(client(proxy, max_retries=0))
    assert len(proxy.attempts) == 1

    proxy.reset()
    proxy.script([status(c, headers=retry_after_ms(5)) for c in (408, 409, 502, 503, 504)])
    out = create(client(proxy, max_retries=0).with_options(max_retries=5))
    assert out.object == "chat.completion"
    assert [a.retry_count for a in proxy.attempts] == ["0", "1", "2", "3", "4", "5"]
    assert proxy.pending == []


def test_script_is_used_up_in_order_then_passes_through(proxy):
    wait = retry_after_ms(5)
    proxy.script([status(503, headers=wait), passthrough(), status(500, headers=wait)])
    c = client(proxy)
    create(c)  # 503, then passthrough
    create(c)  # 500, then passthrough (script used up)
    create(c)
    assert [a.action.split(" ")[0] for a in proxy.attempts] == [
        "status",
        "passthrough",
        "status",
        "passthrough",
        "passthrough",
    ]
    proxy.reset()
    assert proxy.attempts == [] and proxy.pending == []


# ----------------------------------------------------------------------------------------- connection faults
def test_drop_gives_connection_error_after_retries(proxy):
    proxy.script([drop(), drop(), drop()])
    c = client(proxy)
    waits = fast_backoff(c)
    with pytest.raises(openai.APIConnectionError) as ei:
        create(c)
    assert type(ei.value) is openai.APIConnectionError
    assert isinstance(ei.value.__cause__, httpx2.RemoteProtocolError)
    assert [a.retry_count for a in proxy.attempts] == ["0", "1", "2"]
    assert waits == [2, 1]  # the SDK did go through its retry path twice


def test_drop_with_reset(proxy):
    proxy.script([drop(reset=True)])
    with pytest.raises(openai.APIConnectionError) as ei:
        create(client(proxy, max_retries=0))
    assert type(ei.value) is openai.APIConnectionError
    assert isinstance(ei.value.__cause__, httpx2.ReadError)  # ECONNRESET, unlike drop()'s clean FIN


def test_drop_then_success(proxy):
    proxy.script([drop()])
    c = client(proxy)
    fast_backoff(c)
    assert create(c).object == "chat.completion"
    assert [a.action for a in proxy.attempts] == ["drop", "passthrough"]


def test_stall_with_short_timeout_is_a_timeout(proxy):
    proxy.script([stall(2)])
    t0 = time.monotonic()
    with pytest.raises(openai.APITimeoutError) as ei:
        create(client(proxy, max_retries=0, timeout=0.3))
    assert time.monotonic() - t0 < 1.5
    assert isinstance(ei.value.__cause__, httpx2.ReadTimeout)
    assert len(proxy.attempts) == 1


def test_closed_port_is_connection_refused():
    url = closed_port_url()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/openai/v1/")
    with pytest.raises(openai.APIConnectionError) as ei:
        create(client(url, max_retries=0))
    assert type(ei.value) is openai.APIConnectionError
    assert isinstance(ei.value.__cause__, httpx2.ConnectError)


def test_unreachable_upstream_looks_like_a_connection_error():
    with FaultProxy(closed_port_url()) as p:
        with pytest.raises(openai.APIConnectionError):
            create(client(p, max_retries=0))
        [a] = p.attempts
        assert a.error and "upstream" in a.error


# ------------------------------------------------------------------------------------------------ streaming
def test_stream_passes_through_incrementally(proxy):
    arrivals, words = [], []
    with create(client(proxy), stream=True) as stream:
        for ev in stream:
            arrivals.append(time.monotonic())
            words.append(ev.choices[0].delta.content)
    assert words == STREAM_WORDS
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert all(g >= SPACING * 0.5 for g in gaps), gaps  # not buffered: each chunk arrived on its own
    assert proxy.attempts[0].upstream_status == 200


def test_cut_stream_raises_during_iteration(proxy):
    proxy.script([cut_stream(2)])
    words = []
    with pytest.raises(openai.APIConnectionError) as ei:
        with create(client(proxy), stream=True) as stream:
            for ev in stream:
                words.append(ev.choices[0].delta.content)
    assert words == STREAM_WORDS[:2]
    assert type(ei.value) is openai.APIConnectionError
    assert isinstance(ei.value.__cause__, httpx2.RemoteProtocolError)
    assert len(proxy.attempts) == 1  # a broken stream is not retried
    assert proxy.wait_for_attempts(1)[0].action == "cut_stream after 2 events"


def test_cut_stream_past_the_end_cuts_nothing(proxy):
    proxy.script([cut_stream(50)])
    with create(client(proxy), stream=True) as stream:
        assert [ev.choices[0].delta.content for ev in stream] == STREAM_WORDS
    assert "nothing cut" in proxy.wait_for_attempts(1)[0].action


def test_event_counter_handles_split_and_crlf():
    c = FirstEvents(2)
    out, done = c.feed(b"data: a\r")
    assert (out, done) == (b"", False)
    out2, done = c.feed(b"\n\r\n: comment\n\ndata: b\n")
    assert not done and out + out2 == b"data: a\r\n\r\n: comment\n\ndata: b\n"
    out3, done = c.feed(b"\ndata: c\n\n")
    assert done and out3 == b"\n" and c.count == 2


def test_delay_then_passthrough(proxy):
    proxy.script([delay(0.1)])
    t0 = time.monotonic()
    create(client(proxy))
    assert time.monotonic() - t0 >= 0.1
    assert proxy.attempts[0].action == "delay 0.1s, passthrough"


# ------------------------------------------------------------------------------------ async client, HTTPS
def test_async_client_retries_the_same_way(proxy):
    proxy.script([status(503, headers=retry_after_ms(10)), status(429, headers=retry_after_ms(10))])

    async def go():
        async with openai.AsyncOpenAI(base_url=proxy.base_url, api_key="k") as c:
            return await c.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert asyncio.run(go()).object == "chat.completion"
    assert [a.retry_count for a in proxy.attempts] == ["0", "1", "2"]
    assert proxy.attempts[0].headers["x-stainless-async"].startswith("async")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a throwaway cert")
def test_https_upstream(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    server.socket = sctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    up = f"https://localhost:{server.server_address[1]}/openai/v1/"
    try:
        # Default context: the throwaway CA is not trusted, so the upstream call fails -> connection error.
        with FaultProxy(up) as p:
            with pytest.raises(openai.APIConnectionError):
                create(client(p, max_retries=0))
            assert "SSL" in (p.attempts[0].error or "")
        cctx = ssl.create_default_context(cafile=str(cert))
        with FaultProxy(up, ssl_context=cctx) as p:
            assert p.base_url.startswith("http://127.0.0.1:")
            p.script([status(500, headers=retry_after_ms(5))])
            assert create(client(p)).object == "chat.completion"
            with create(client(p), stream=True) as stream:
                assert [ev.choices[0].delta.content for ev in stream] == STREAM_WORDS
        assert server.received[-1]["headers"]["host"] == f"localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------------------------------------ interface
def test_fault_from_json_and_error_bodies():
    faults = [
        fp.fault_from_json(x)
        for x in json.loads(
            '[{"status": 429, "headers": {"retry-after-ms": "10"}}, {"drop": true}, {"drop": "reset"},'
            ' {"stall": 2}, {"cut_stream": 3}, {"delay": 0.5}, {"passthrough": true},'
            ' {"status": 400, "body": {"error": {"code": "x"}}}]'
        )
    ]
    assert [f.kind for f in faults] == [
        "status",
        "drop",
        "drop",
        "stall",
        "cut_stream",
        "delay",
        "passthrough",
        "status",
    ]
    assert faults[0].headers == (("retry-after-ms", "10"),) and faults[2].reset
    assert faults[7].body == b'{"error": {"code": "x"}}'
    with pytest.raises(ValueError):
        fp.fault_from_json({"explode": 1})
    for code in (400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504, 418):
        err = fp.azure_error_body(code)["error"]
        assert err["code"] and err["message"]
    assert "Embeddings_Create" in fp.azure_error_body(429, "/openai/v1/embeddings")["error"]["message"]
    assert retry_after_ms(10) == {"retry-after-ms": "10"} and retry_after(1.5) == {"retry-after": "1.5"}


@pytest.mark.parametrize(
    "code,exc",
    [
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (422, openai.UnprocessableEntityError),
    ],
)
def test_status_maps_to_sdk_error(proxy, code, exc):
    proxy.script([status(code)])
    with pytest.raises(exc):
        create(client(proxy))
    assert len(proxy.attempts) == 1


def test_stop_does_not_wait_for_stalls(upstream):
    p = FaultProxy(f"http://127.0.0.1:{upstream.server_address[1]}/openai/v1/").start()
    p.script([stall(30)])
    errors: list[Exception] = []

    def call() -> None:
        try:
            create(client(p, max_retries=0, timeout=5))
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    deadline = time.monotonic() + 5
    while not p.attempts and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    p.stop()
    t.join(5)
    assert time.monotonic() - t0 < 2 and not t.is_alive()
    assert len(errors) == 1 and type(errors[0]) is openai.APIConnectionError  # closed, not timed out


# ----------------------------------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_runs_and_stops_cleanly(upstream, sig):
    up = f"http://127.0.0.1:{upstream.server_address[1]}/openai/v1/"
    script = json.dumps([{"status": 429, "headers": {"retry-after-ms": "10"}}])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aoai_conformance.faultproxy", "--upstream", up, "--script", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("aoai-conformance fault proxy on http://127.0.0.1:")
        assert line.endswith(f"-> {up}")
        base = line.split(" on ", 1)[1].split(" -> ")[0]
        assert base.endswith("/openai/v1/")
        assert create(client(base)).object == "chat.completion"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "status 429" in lines[0] and "retry-count=0" in lines[0]
    assert "passthrough, upstream 200" in lines[1] and "retry-count=1" in lines[1]


def test_cli_rejects_bad_script():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aoai_conformance.faultproxy",
            "--upstream",
            "http://127.0.0.1:1/openai/v1/",
            "--script",
            '[{"bogus": 1}]',
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=10,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "unknown fault" in proc.stderr
