"""A server is targeted at the base URL it serves, and its recordings keep the path as sent (issue 12 item 6).

A small forwarder on 127.0.0.1 serves the stand-in under ``/api/`` (as a gateway at another path would); a record
run against ``http://127.0.0.1:PORT/api`` writes cassettes whose URLs read ``https://PLACEHOLDER/api/...`` with
no key, host or port left, and the replay of those cassettes (offline) passes.
"""

from __future__ import annotations

import contextlib
import http.client
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from aoai_conformance.config import PLACEHOLDER_HOST
from aoai_conformance.serving import serve_in_background, stop_serving
from aoai_conformance.standin import StandIn
from conftest import SUITES, clean_env, cli_run, run_pytest

CHAT = str(SUITES / "test_chat.py")
KEY = "canary-forwarded-key-0123456789"
ONE_TEST = "test_chat_completion and not prompt and not streaming and not image and not reasoning"


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[int]:
    """A threaded server on 127.0.0.1 (a free port) for the duration; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve_in_background(server, name)
    try:
        yield server.server_address[1]
    finally:
        stop_serving(server)


@contextlib.contextmanager
def forwarder(upstream_port: int, prefix: str, upstream_prefix: str = "/openai/v1") -> Iterator[int]:
    """``http://127.0.0.1:PORT{prefix}/x`` -> ``http://127.0.0.1:upstream_port{upstream_prefix}/x``; others 404."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if not self.path.startswith(prefix + "/"):
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(
                self.command, upstream_prefix + self.path[len(prefix) :], body=body or None, headers=headers
            )
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_DELETE = _forward

    with serving(Handler, "forwarder") as port:
        yield port


def test_record_at_another_path_keeps_it_scrubbed_and_replays(tmp_path: Path):
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    targets = tmp_path / "targets.toml"
    with StandIn(api_key=KEY) as standin, forwarder(standin.port, "/api") as port:
        targets.write_text(
            f'[targets.gateway]\nbase_url = "http://127.0.0.1:{port}/api"\napi_key_env = "GW_KEY"\n'
        )
        env = clean_env(GW_KEY=KEY)
        r = run_pytest(
            CHAT,
            "-q",
            "-k",
            ONE_TEST,
            "--mode",
            "record",
            "--target",
            "gateway",
            "--auth",
            "key",
            "--client",
            "sync",
            "--targets-file",
            str(targets),
            "--cassettes-dir",
            str(cassettes),
            "--reports-dir",
            str(reports),
            env=env,
        )
    assert r.code == 0, r.out[-3000:]
    (cassette,) = (cassettes / "gateway").rglob("*.json")
    text = cassette.read_text()
    uris = [i["request"]["uri"] for i in json.loads(text)["interactions"]]
    assert uris == [f"https://{PLACEHOLDER_HOST}/api/chat/completions"], uris
    for leaked in (KEY, f"127.0.0.1:{port}", f":{port}", f":{standin.port}"):
        assert leaked not in text, leaked
    # offline: replay sends to the placeholder host at the target's own path and finds the recording
    r = run_pytest(
        CHAT,
        "-q",
        "-k",
        ONE_TEST,
        "--target",
        "gateway",
        "--auth",
        "key",
        "--client",
        "sync",
        "--targets-file",
        str(targets),
        "--cassettes-dir",
        str(cassettes),
        "--reports-dir",
        str(tmp_path / "replay"),
        env=clean_env(),
    )
    assert r.code == 0, r.out[-3000:]
    cases = json.loads((tmp_path / "replay" / "results.json").read_text())["cases"]
    assert [c["status"] for c in cases] == ["pass"], cases


# --- every call answered 404: one line says the base URL is probably wrong ------------------------------
@contextlib.contextmanager
def answering_404() -> Iterator[int]:
    """A server that answers 404 (a JSON body, as FastAPI-style servers do) to every request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b'{"detail": "Not Found"}'
            self.send_response(404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

    with serving(Handler, "answering-404") as port:
        yield port


# chat calls that reach the server (not streamed: the forwarder buffers), plus an error test whose faults the proxy injects (it passes: the hint must
# not depend on every case failing, only on every answer from the target being a 404)
SELECTION = (
    "test_chat.py",
    "test_errors.py",
    "-k",
    "test_chat_completion and not image and not streaming or test_status_429_raises_rate_limit_error",
)


def _hint_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "the base URL is probably wrong" in line]


def test_every_call_answered_404_says_the_base_url_is_probably_wrong(tmp_path: Path):
    with answering_404() as port:
        env = clean_env(AZURE_OPENAI_ENDPOINT=f"http://127.0.0.1:{port}/", AZURE_OPENAI_API_KEY="x")
        r = cli_run(
            "run", "--mode", "live", "--auth", "key", "--reports-dir", str(tmp_path), *SELECTION, env=env
        )
    assert r.code == 1, r.out[-3000:]
    assert "Traceback" not in r.out and "INTERNALERROR" not in r.out, r.out[-3000:]
    (line,) = _hint_lines(r.out)
    assert f"calls to endpoint (http://127.0.0.1:{port}/) answered HTTP 404" in line, line
    assert "give its full path, e.g. http://host:port/v1" in line, line
    n = int(line.split("all ", 1)[1].split()[0])
    results = json.loads((tmp_path / "results.json").read_text())
    statuses = {c["status"] for c in results["cases"]}
    assert "pass" in statuses and "fail" in statuses  # the injected-fault test passed, the chat calls failed
    assert n >= sum(c["status"] == "fail" for c in results["cases"])
    assert results["run"]["hints"] == [line.removeprefix("aoai-conformance: ")]


def test_a_server_at_the_right_base_url_gets_no_hint(tmp_path: Path):
    with StandIn(api_key=KEY) as standin, forwarder(standin.port, "/api") as port:
        env = clean_env(AZURE_OPENAI_ENDPOINT=f"http://127.0.0.1:{port}/api", AZURE_OPENAI_API_KEY=KEY)
        r = cli_run(
            "run", "--mode", "live", "--auth", "key", "--reports-dir", str(tmp_path), *SELECTION, env=env
        )
    assert r.code == 0, r.out[-3000:]
    assert not _hint_lines(r.out)
    assert "hints" not in json.loads((tmp_path / "results.json").read_text())["run"]


def test_a_passing_test_that_expects_404_gets_no_hint(tmp_path: Path):
    # Only the documented 404 is asked for and the server gives it: every answer is a 404, but nothing is wrong.
    with StandIn(api_key=KEY) as standin:
        env = clean_env(AZURE_OPENAI_ENDPOINT=standin.base_url, AZURE_OPENAI_API_KEY=KEY)
        r = cli_run(
            "run",
            "--mode",
            "live",
            "--auth",
            "key",
            "--reports-dir",
            str(tmp_path),
            "test_errors.py",
            "-k",
            "test_unknown_deployment_raises_not_found_error",
            env=env,
        )
    assert r.code == 0, r.out[-3000:]
    assert not _hint_lines(r.out)
