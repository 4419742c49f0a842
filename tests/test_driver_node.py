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
import time
from typing import Any

import drivers_kit as kit
import pytest
from drivers_kit import Reply, Scripted

from aoai_conformance.sdks.coverage import NODE
from aoai_conformance.standin import StandIn
from conftest import clean_env

FOLDER = kit.DRIVERS / "node"
SCOPE = kit.SCOPE
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "When was Microsoft founded?"}]}
SECRET_KEY = "sk-node-driver-secret-key-4f1c"
SECRET_TOKEN = "eyJ-node-driver-secret-token-9a2e"


def _driver(**env: str) -> kit.Driver:
    return kit.started("node", env, client="async", api_key=SECRET_KEY, token=SECRET_TOKEN, params=CHAT)


@pytest.fixture(scope="module")
def driver():
    d = _driver()
    yield d
    d.close()


@pytest.fixture
def standin():
    with StandIn(api_key=SECRET_KEY, tokens=(SECRET_TOKEN,)) as s:
        yield s


def _version(driver: kit.Driver) -> tuple[int, ...]:
    return tuple(int(p) for p in driver.hello["version"].split("-")[0].split("."))


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
        standin.base_url,
        {"model": "gpt-4.1-nano", "input": "Hi"},
        call="responses.create",
        auth="entra",
        accessors=["output_text"],
    )
    assert result["ok"], result
    assert result["credential_scopes"] == [SCOPE]
    assert standin.requests[-1].headers["authorization"] == f"Bearer {SECRET_TOKEN}"
    assert isinstance(result["accessors"]["output_text"], str)


def test_api_key_goes_in_the_authorization_header_not_api_key(driver, standin):
    # The section passes the key as `apiKey`; openai-node sends every key as a bearer, never Azure's api-key header.
    result = driver.call(standin.base_url)
    assert result["ok"], result
    headers = standin.requests[-1].headers
    assert headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert "api-key" not in headers


def test_env_auth_reads_the_environment_and_leaves_none_behind(driver, standin):
    env = {"OPENAI_API_KEY": SECRET_KEY, "OPENAI_BASE_URL": standin.base_url}
    first = driver.call(None, auth="env", env=env, api_key=None)
    assert first["ok"], first
    # The next env call without a key must not see the first one's: the driver restores its environment.
    second = driver.call(None, auth="env", env={"OPENAI_BASE_URL": standin.base_url}, api_key=None)
    assert second["ok"] is False
    assert second["error"]["class"] == "OpenAIError" and "Missing credentials" in second["error"]["message"]
    assert len(standin.requests) == 1


def test_secrets_reach_neither_the_results_nor_the_log(standin):
    d = _driver()
    results = [
        d.call(standin.base_url),
        d.call(standin.base_url, auth="entra"),
        d.call(standin.base_url, api_key=SECRET_KEY + "-wrong"),
        d.call(
            standin.base_url,
            {"model": "text-embedding-3-small", "input": "x"},
            call="embeddings.create",
            auth="entra",
        ),
    ]
    code, stderr = d.close(), "".join(d.stderr)
    assert code == 0
    assert [r["ok"] for r in results] == [True, True, False, False]
    for text in (json.dumps(results), stderr):
        assert SECRET_KEY not in text and SECRET_TOKEN not in text


# --- what openai-node gives back ---------------------------------------------------------------------------
def test_the_error_request_id_is_requestID_not_the_readmes_request_id(driver, standin):
    standin.error_request_id = True  # an answer that carries x-request-id, so there is an id to read
    result = driver.call(standin.base_url, params={**CHAT, "model": "no-such-deployment"})
    error = result["error"]
    assert error["class"] == "NotFoundError" and error["status"] == 404
    assert error["request_id"] and error["node"]["requestID"] == error["request_id"]
    # The README's `console.log(err.request_id)` prints undefined, and its `err.name // BadRequestError` prints
    # "Error": openai-node sets neither.
    assert error["node"]["has_request_id"] is False
    assert error["node"]["name"] == "Error"


def test_a_response_request_id_is_the_x_request_id_header(driver, standin):
    result = driver.call(standin.base_url)
    assert result["ok"] and result["request_id"]
    assert "_request_id" not in result["parsed"]  # non-enumerable: not part of the body


STATUS_CLASSES = {
    **NODE.profile.error_classes,  # the package's profile of openai-node, proved on the real SDK here
    500: NODE.profile.server_error_class,
    # The section's table names "Service Unavailable" and "Gateway Timeout"; openai-node has no such classes.
    503: NODE.profile.server_error_class,
    504: NODE.profile.server_error_class,
    418: NODE.profile.other_status_class,
}


def test_the_error_class_per_status(driver):
    script = [Reply(status, azure_error(str(status))) for status in STATUS_CLASSES]
    with Scripted(*script) as server:
        got = {}
        for status in STATUS_CLASSES:
            error = driver.call(server.base_url)["error"]
            assert error["status"] == status and error["code"] == str(status)
            got[status] = error["class"]
    assert got == STATUS_CLASSES


RETRIED = {408: True, 409: True, 429: True, 500: True, 503: True, 400: False, 404: False, 422: False}


@pytest.mark.parametrize("status", sorted(RETRIED))
def test_which_statuses_retry_and_the_retry_count_header(driver, status):
    # retry-after-ms keeps the test from waiting out real backoff; every version in the matrix honours it.
    first = Reply(status, azure_error(str(status)), {"retry-after-ms": "5"})
    with Scripted(first) as server:
        result = driver.call(server.base_url, options={"max_retries": 2, "timeout_ms": 20000})
        counts = [a.headers.get("x-stainless-retry-count") for a in server.attempts]
    assert result["error"]["status"] == status
    assert counts == (["0", "1", "2"] if RETRIED[status] else ["0"])


def test_x_should_retry_overrides_the_status(driver):
    with Scripted(
        Reply(400, azure_error("400"), {"x-should-retry": "true", "retry-after-ms": "5"})
    ) as server:
        driver.call(server.base_url, options={"max_retries": 1, "timeout_ms": 20000})
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
    d = _driver() if matrix == "pinned" else _driver(AOAI_CONFORMANCE_NODE_OPENAI=matrix)
    try:
        with Scripted(Reply(429, azure_error("429"), {"retry-after": "3600"})) as server:
            start = time.monotonic()
            options = {"max_retries": 1, "timeout_ms": 20000}
            result = d.call(server.base_url, options=options, deadline_ms=3000)
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
    with Scripted() as server:
        url = server.base_url
    result = driver.call(url)  # the server is gone: nothing listens on that port
    assert result["ok"] is False and result["watchdog"] is False
    assert result["error"]["class"] == "APIConnectionError" and result["error"]["status"] is None


def test_azure_first_chat_chunk_object_empty_passes_through(driver, standin):
    result = driver.call(standin.base_url, params={**CHAT, "stream": True}, stream=True)
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
    result = driver.call(standin.base_url, params, call="embeddings.create", accessors=accessors)
    assert result["ok"], result
    assert standin.requests[-1].body == {**params, "encoding_format": "base64"}
    as_floats = driver.call(
        standin.base_url,
        {**params, "encoding_format": "float"},
        call="embeddings.create",
        accessors=accessors,
    )
    assert result["accessors"]["embedding_dims"] == 1536
    assert result["accessors"]["embedding_first"] == pytest.approx(as_floats["accessors"]["embedding_first"])


def test_a_sync_client_is_unsupported(driver, standin):
    result = driver.call(standin.base_url, client="sync")
    assert result["ok"] is False and result["error"]["class"] == "Unsupported"
    assert standin.requests == []


# --- the build ------------------------------------------------------------------------------------------------
def test_the_build_is_idempotent():
    kit.built("node")
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
    kit.built("node")
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


def _stream(driver: kit.Driver, server: Scripted, deadline_ms: int = 30000) -> dict[str, Any]:
    with server:
        return driver.call(
            server.base_url, params={**CHAT, "stream": True}, stream=True, deadline_ms=deadline_ms
        )


def test_a_stream_cut_short_ends_quietly_with_the_events_so_far(driver):
    # No [DONE], no finish_reason: openai-node raises nothing, so only the events show the stream was cut.
    result = _stream(driver, Scripted(Reply(200, ONE_CHUNK, {"x-request-id": "req-cut"})))
    assert result["ok"] is True and result["request_id"] == "req-cut"
    assert [e["json"] for e in result["events"]] == [FIRST_CHUNK]
    assert result["text"] == "Micro"


def test_an_error_event_mid_stream_is_APIError_with_the_events_so_far(driver):
    error = b'data: {"error": {"code": "server_error", "message": "scripted"}}\n\n'
    result = _stream(driver, Scripted(Reply(200, ONE_CHUNK + error)))
    assert result["ok"] is False and result["status"] == 200
    assert result["error"]["class"] == "APIError" and result["error"]["code"] == "server_error"
    assert result["error"]["status"] is None  # the SDK gives the error event no status
    assert [e["json"] for e in result["events"]] == [FIRST_CHUNK]


def test_a_stalled_stream_is_ended_by_the_watchdog_with_the_events_so_far(driver):
    result = _stream(driver, Scripted(Reply(200, ONE_CHUNK, cut=True, stall=20)), deadline_ms=1500)
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
    with Scripted(Reply(200, answer), tls=ctx) as server:
        untrusted = _driver()
        try:
            refused = untrusted.call(server.base_url, accessors=["id"])
        finally:
            untrusted.close()
        trusted = _driver(NODE_EXTRA_CA_CERTS=str(pem))
        try:
            result = trusted.call(server.base_url, accessors=["id"])
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
