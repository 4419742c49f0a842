"""The Node driver (drivers/node) reports what openai-node really does where its docs say otherwise.

Per openai-node's sources (6.x): the error's request id is `requestID` (its README prints `err.request_id`), the
error class per status comes from `APIError.generate`, 409 is retried besides the documented 408/429/>=500 and
connection errors, and since 6.26.0 a `retry-after` is obeyed however long it is. The JavaScript section of the
documentation (../shared/seeds/001_…txt, "Package (npm)") builds the client three ways; each is checked here on
the wire. Servers run on 127.0.0.1, port 0; without node, npm or a build the tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aoai_conformance.standin import StandIn
from conftest import clean_env

FOLDER = Path(__file__).resolve().parent.parent / "drivers" / "node"
SCOPE = "https://cognitiveservices.azure.com/.default"
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "When was Microsoft founded?"}]}
SECRET_KEY = "sk-node-driver-secret-key-4f1c"
SECRET_TOKEN = "eyJ-node-driver-secret-token-9a2e"


def _built() -> Path:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"node driver not run: {', '.join(missing)} not on PATH")
    if not (FOLDER / "node_modules" / "openai" / "package.json").exists():
        proc = subprocess.run(
            [str(FOLDER / "build")], cwd=FOLDER, capture_output=True, text=True, timeout=900, env=clean_env()
        )
        if proc.returncode != 0:
            pytest.skip(f"node driver not run: its build failed: {proc.stderr.strip()[-300:]}")
    return FOLDER


class NodeDriver:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            ["node", "driver.mjs"],
            cwd=_built(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or clean_env(),
        )
        self.hello = json.loads(self._line(60))["hello"]
        self._ids = 0

    def _line(self, timeout: float) -> str:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        assert box and box[0], f"no line from the node driver in {timeout} s"
        return box[0]

    def call(self, request: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        self._ids += 1
        self.proc.stdin.write(json.dumps({"id": str(self._ids), **request}) + "\n")
        self.proc.stdin.flush()
        result = json.loads(self._line(timeout))
        assert result["id"] == str(self._ids)
        return result

    def close(self) -> tuple[int, str]:
        self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return code, self.proc.stderr.read()


@pytest.fixture(scope="module")
def driver():
    d = NodeDriver()
    yield d
    d.close()


@pytest.fixture
def standin():
    with StandIn(api_key=SECRET_KEY, tokens=(SECRET_TOKEN,)) as s:
        yield s


def _version(driver: NodeDriver) -> tuple[int, ...]:
    return tuple(int(p) for p in driver.hello["version"].split("-")[0].split("."))


def request(
    base_url: str, call: str = "chat.completions.create", params=None, **extra: Any
) -> dict[str, Any]:
    req = {
        "call": call,
        "stream": False,
        "auth": "key",
        "client": "async",
        "base_url": base_url,
        "api_key": SECRET_KEY,
        "token": SECRET_TOKEN,
        "scope": SCOPE,
        "params": params or CHAT,
        "options": {"max_retries": 0, "timeout_ms": 20000},
        "deadline_ms": 30000,
        "accessors": [],
    }
    req.update(extra)
    return req


class Scripted:
    """A server answering each POST with the next scripted (status, headers, body); it logs every attempt.

    A dict body is sent as JSON; a bytes body is written raw (an SSE stream) and the connection closed after it,
    or held open for `stall` seconds first."""

    def __init__(
        self,
        script: list[tuple[int, dict[str, str], Any]],
        stall: float = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.script = list(script)
        self.scheme = "https" if tls else "http"
        self.attempts: list[tuple[float, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.attempts.append((time.monotonic(), {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = outer.script.pop(0) if outer.script else (500, {}, None)
                raw = isinstance(body, bytes)
                data = body if raw else json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("content-type", "text/event-stream" if raw else "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                if raw:
                    self.send_header("connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                if raw and stall:
                    time.sleep(stall)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/openai/v1/"

    def __enter__(self) -> "Scripted":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def azure_error(code: str, message: str = "scripted") -> dict:
    return {"error": {"code": code, "message": message}}


# --- the client, as the JavaScript section builds it ------------------------------------------------------
def test_the_hello_reads_the_installed_versions(driver):
    pinned = json.loads((FOLDER / "package.json").read_text())["dependencies"]
    assert driver.hello["version"] == pinned["openai"]
    assert driver.hello["identity"] == f"@azure/identity {pinned['@azure/identity']}"
    assert driver.hello["runtime"].startswith("node v")


def test_entra_token_provider_sends_the_token_as_a_bearer(driver, standin):
    result = driver.call(
        request(
            standin.base_url,
            "responses.create",
            {"model": "gpt-4.1-nano", "input": "Hi"},
            auth="entra",
            accessors=["output_text"],
        )
    )
    assert result["ok"], result
    assert result["credential_scopes"] == [SCOPE]
    assert standin.requests[-1].headers["authorization"] == f"Bearer {SECRET_TOKEN}"
    assert isinstance(result["accessors"]["output_text"], str)


def test_api_key_goes_in_the_authorization_header_not_api_key(driver, standin):
    # The section passes the key as `apiKey`; openai-node sends every key as a bearer, never Azure's api-key header.
    result = driver.call(request(standin.base_url))
    assert result["ok"], result
    headers = standin.requests[-1].headers
    assert headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert "api-key" not in headers


def test_env_auth_reads_the_environment_and_leaves_none_behind(driver, standin):
    env = {"OPENAI_API_KEY": SECRET_KEY, "OPENAI_BASE_URL": standin.base_url}
    first = driver.call(request(None, auth="env", env=env, api_key=None))
    assert first["ok"], first
    # The next env call without a key must not see the first one's: the driver restores its environment.
    second = driver.call(request(None, auth="env", env={"OPENAI_BASE_URL": standin.base_url}, api_key=None))
    assert second["ok"] is False
    assert second["error"]["class"] == "OpenAIError" and "Missing credentials" in second["error"]["message"]
    assert len(standin.requests) == 1


def test_secrets_reach_neither_the_results_nor_the_log(standin):
    d = NodeDriver()
    results = [
        d.call(request(standin.base_url)),
        d.call(request(standin.base_url, auth="entra")),
        d.call(request(standin.base_url, api_key=SECRET_KEY + "-wrong")),
        d.call(
            request(
                standin.base_url,
                "embeddings.create",
                {"model": "text-embedding-3-small", "input": "x"},
                auth="entra",
            )
        ),
    ]
    code, stderr = d.close()
    assert code == 0
    assert [r["ok"] for r in results] == [True, True, False, False]
    for text in (json.dumps(results), stderr):
        assert SECRET_KEY not in text and SECRET_TOKEN not in text


# --- what openai-node gives back ---------------------------------------------------------------------------
def test_the_error_request_id_is_requestID_not_the_readmes_request_id(driver, standin):
    standin.error_request_id = True  # an answer that carries x-request-id, so there is an id to read
    result = driver.call(request(standin.base_url, params={**CHAT, "model": "no-such-deployment"}))
    error = result["error"]
    assert error["class"] == "NotFoundError" and error["status"] == 404
    assert error["request_id"] and error["node"]["requestID"] == error["request_id"]
    # The README's `console.log(err.request_id)` prints undefined, and its `err.name // BadRequestError` prints
    # "Error": openai-node sets neither.
    assert error["node"]["has_request_id"] is False
    assert error["node"]["name"] == "Error"


def test_a_response_request_id_is_the_x_request_id_header(driver, standin):
    result = driver.call(request(standin.base_url))
    assert result["ok"] and result["request_id"]
    assert "_request_id" not in result["parsed"]  # non-enumerable: not part of the body


STATUS_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    # The section's table names "Service Unavailable" and "Gateway Timeout"; openai-node has no such classes.
    503: "InternalServerError",
    504: "InternalServerError",
    418: "APIError",
}


def test_the_error_class_per_status(driver):
    script = [(status, {}, azure_error(str(status))) for status in STATUS_CLASSES]
    with Scripted(script) as server:
        got = {}
        for status in STATUS_CLASSES:
            error = driver.call(request(server.base_url))["error"]
            assert error["status"] == status and error["code"] == str(status)
            got[status] = error["class"]
    assert got == STATUS_CLASSES


RETRIED = {408: True, 409: True, 429: True, 500: True, 503: True, 400: False, 404: False, 422: False}


@pytest.mark.parametrize("status", sorted(RETRIED))
def test_which_statuses_retry_and_the_retry_count_header(driver, status):
    # retry-after-ms keeps the test from waiting out real backoff; every version in the matrix honours it.
    first = (status, {"retry-after-ms": "5"}, azure_error(str(status)))
    with Scripted([first, first, first]) as server:
        result = driver.call(request(server.base_url, options={"max_retries": 2, "timeout_ms": 20000}))
        counts = [headers.get("x-stainless-retry-count") for _, headers in server.attempts]
    assert result["error"]["status"] == status
    assert counts == (["0", "1", "2"] if RETRIED[status] else ["0"])


def test_x_should_retry_overrides_the_status(driver):
    with Scripted(
        [(400, {"x-should-retry": "true", "retry-after-ms": "5"}, azure_error("400"))] * 2
    ) as server:
        driver.call(request(server.base_url, options={"max_retries": 1, "timeout_ms": 20000}))
        assert len(server.attempts) == 2


def _matrix_versions() -> list[str]:
    """openai versions the build installed for the SDK matrix (AOAI_CONFORMANCE_NODE_OPENAI=<v> drivers/node/build)."""
    return sorted(
        p.parent.parent.parent.name for p in FOLDER.glob("versions/*/node_modules/openai/package.json")
    )


@pytest.mark.parametrize("matrix", ["pinned", *_matrix_versions()])
def test_a_long_retry_after_is_capped_before_6_26_and_obeyed_since(matrix):
    # openai-node <= 6.25 replaced a retry-after of 60 s or more by its own backoff (0.5 s first); 6.26.0 and
    # later sleep whatever the server asks. That sleep ignores the abort signal, hence the driver's own timer.
    env = clean_env() if matrix == "pinned" else clean_env(AOAI_CONFORMANCE_NODE_OPENAI=matrix)
    d = NodeDriver(env)
    try:
        with Scripted([(429, {"retry-after": "3600"}, azure_error("429"))] * 2) as server:
            start = time.monotonic()
            options = {"max_retries": 1, "timeout_ms": 20000}
            result = d.call(request(server.base_url, options=options, deadline_ms=3000))
            took = time.monotonic() - start
            attempts = len(server.attempts)
    finally:
        d.close()
    assert took < 10
    if _version(d) >= (6, 26, 0):
        assert attempts == 1 and result["watchdog"] is True and result["error"]["class"] == "Watchdog"
    else:
        assert attempts == 2 and result["watchdog"] is False and result["error"]["class"] == "RateLimitError"


def test_a_refused_connection_is_APIConnectionError(driver):
    with Scripted([]) as server:
        url = server.base_url
    result = driver.call(request(url))  # the server is gone: nothing listens on that port
    assert result["ok"] is False and result["watchdog"] is False
    assert result["error"]["class"] == "APIConnectionError" and result["error"]["status"] is None


def test_azure_first_chat_chunk_object_empty_passes_through(driver, standin):
    result = driver.call(request(standin.base_url, params={**CHAT, "stream": True}, stream=True))
    assert result["ok"], result
    first = result["events"][0]
    assert first["object"] == "" and first["json"]["choices"] == []
    assert "prompt_filter_results" in first["json"]
    deltas = "".join(
        (e["json"]["choices"] or [{}])[0].get("delta", {}).get("content") or "" for e in result["events"]
    )
    assert result["text"] == deltas and result["text"]


def test_embeddings_ask_base64_on_the_wire_and_decode_floats(driver, standin):
    # openai-node adds encoding_format "base64" when the call names none: the body differs from the call's.
    params = {"model": "text-embedding-3-small", "input": "hello"}
    accessors = ["embedding_count", "embedding_dims", "embedding_first"]
    result = driver.call(request(standin.base_url, "embeddings.create", params, accessors=accessors))
    assert result["ok"], result
    assert standin.requests[-1].body == {**params, "encoding_format": "base64"}
    as_floats = driver.call(
        request(
            standin.base_url, "embeddings.create", {**params, "encoding_format": "float"}, accessors=accessors
        )
    )
    assert result["accessors"]["embedding_dims"] == 1536
    assert result["accessors"]["embedding_first"] == pytest.approx(as_floats["accessors"]["embedding_first"])


def test_a_sync_client_is_unsupported(driver, standin):
    result = driver.call(request(standin.base_url, client="sync"))
    assert result["ok"] is False and result["error"]["class"] == "Unsupported"
    assert standin.requests == []


# --- the build ------------------------------------------------------------------------------------------------
def test_the_build_is_idempotent():
    _built()
    start = time.monotonic()
    proc = subprocess.run(
        [str(FOLDER / "build")], cwd=FOLDER, capture_output=True, text=True, env=clean_env()
    )
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - start < 5  # nothing reinstalled


def test_the_build_without_node_names_the_fix(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    proc = subprocess.run(
        [str(FOLDER / "build")], capture_output=True, text=True, env={**clean_env(), "PATH": str(bin_dir)}
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "install Node.js" in lines[0]


def test_a_matrix_version_not_built_names_the_build_command():
    _built()
    env = clean_env(AOAI_CONFORMANCE_NODE_OPENAI="0.0.1-never-built")
    proc = subprocess.run(
        ["node", "driver.mjs"],
        cwd=FOLDER,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "AOAI_CONFORMANCE_NODE_OPENAI=0.0.1-never-built drivers/node/build" in lines[0]


# --- streams that break off --------------------------------------------------------------------------------
FIRST_CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "delta": {"content": "Micro"}, "finish_reason": None}],
}
ONE_CHUNK = b"data: " + json.dumps(FIRST_CHUNK).encode() + b"\n\n"


def _stream(driver: NodeDriver, server: Scripted, deadline_ms: int = 30000) -> dict[str, Any]:
    with server:
        return driver.call(
            request(server.base_url, params={**CHAT, "stream": True}, stream=True, deadline_ms=deadline_ms)
        )


def test_a_stream_cut_short_ends_quietly_with_the_events_so_far(driver):
    # No [DONE], no finish_reason: openai-node raises nothing, so only the events show the stream was cut.
    result = _stream(driver, Scripted([(200, {"x-request-id": "req-cut"}, ONE_CHUNK)]))
    assert result["ok"] is True and result["request_id"] == "req-cut"
    assert [e["json"] for e in result["events"]] == [FIRST_CHUNK]
    assert result["text"] == "Micro"


def test_an_error_event_mid_stream_is_APIError_with_the_events_so_far(driver):
    error = b'data: {"error": {"code": "server_error", "message": "scripted"}}\n\n'
    result = _stream(driver, Scripted([(200, {}, ONE_CHUNK + error)]))
    assert result["ok"] is False and result["status"] == 200
    assert result["error"]["class"] == "APIError" and result["error"]["code"] == "server_error"
    assert result["error"]["status"] is None  # the SDK gives the error event no status
    assert [e["json"] for e in result["events"]] == [FIRST_CHUNK]


def test_a_stalled_stream_is_ended_by_the_watchdog_with_the_events_so_far(driver):
    result = _stream(driver, Scripted([(200, {}, ONE_CHUNK)], stall=20), deadline_ms=1500)
    assert result["watchdog"] is True and result["ok"] is False
    assert result["elapsed_ms"] < 10000
    assert result["text"] == "Micro"


# --- TLS ------------------------------------------------------------------------------------------------------
def test_node_extra_ca_certs_is_how_the_driver_trusts_a_private_ca(tmp_path):
    trustme = pytest.importorskip("trustme", reason="trustme (the test extra) makes the throwaway CA")
    authority = trustme.CA()
    pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(ctx)
    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o", "choices": []}
    with Scripted([(200, {}, answer)] * 2, tls=ctx) as server:
        untrusted = NodeDriver()
        try:
            refused = untrusted.call(request(server.base_url, accessors=["id"]))
        finally:
            untrusted.close()
        trusted = NodeDriver(clean_env(NODE_EXTRA_CA_CERTS=str(pem)))
        try:
            result = trusted.call(request(server.base_url, accessors=["id"]))
        finally:
            trusted.close()
    assert refused["ok"] is False and refused["error"]["class"] == "APIConnectionError"
    assert result["ok"] is True and result["accessors"]["id"] == "chatcmpl-1"


def test_the_build_without_the_registry_names_the_fix(tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("node driver not run: npm not on PATH")
    for name in ("build", "package.json", "package-lock.json"):
        shutil.copy2(FOLDER / name, tmp_path / name)
    # A registry on a closed loopback port and an empty cache: npm ci cannot fetch anything.
    env = clean_env(
        npm_config_registry="http://127.0.0.1:9/",
        npm_config_cache=str(tmp_path / "cache"),
        npm_config_fetch_retries="0",
    )
    proc = subprocess.run([str(tmp_path / "build")], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "registry is unreachable" in lines[0]
