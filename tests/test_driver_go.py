"""The Go driver (drivers/go) and what openai-go does that the Go section of the documentation does not say.

The protocol itself is tests/test_driver_protocol.py's; here: the docs' install line against the Go module proxy,
Entra ID through azure.WithTokenCredential (azcore's bearer policy sends a token over TLS only, so over https with
a self-signed certificate), the error accessors, openai-go's retries (409 included; azcore's own retries nested
inside them on the Entra path) and the watchdog ending a retry-after sleep no context interrupts.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import drivers_kit as kit
import pytest
from drivers_kit import Reply, Scripted

from aoai_conformance.sdks.tls import TLSFront, certificate
from aoai_conformance.standin import StandIn
from conftest import clean_env

FOLDER = kit.DRIVERS / "go"
SCOPE = kit.SCOPE
CHAT = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "When was Microsoft founded?"}],
    "max_tokens": 16,
}
NOT_TLS = "authorized requests are not permitted for non-TLS protected (https) endpoints"


@pytest.fixture(scope="module")
def driver_bin() -> Path:
    return kit.built("go") / "bin" / "driver"


# --- https in front of a plain server: the package's one certificate and front -----------------------------
@pytest.fixture(scope="module")
def cert() -> tuple[str, str]:
    return certificate()


def _driver(cert: str, **env: str) -> kit.Driver:
    """bin/driver (or the SDK matrix's build), trusting the certificate; key auth with the stand-in's key."""
    env = {"SSL_CERT_FILE": cert, **env}
    return kit.started("go", env, api_key="standin-key", token="standin-token", params=CHAT)


@pytest.fixture
def driver(driver_bin, cert):
    d = _driver(cert[0])
    yield d
    assert d.close() == 0


@pytest.fixture(scope="module")
def standin():
    with StandIn() as s:
        yield s


@pytest.fixture(scope="module")
def standin_tls(standin, cert):
    front = TLSFront(standin.port)
    yield standin.base_url.replace(f"http://127.0.0.1:{standin.port}", f"https://127.0.0.1:{front.port}")
    front.close()


# --- Installation: the documented go get line ---------------------------------------------------------------
def _proxy_reachable(env: dict[str, str], cwd: Path) -> str | None:
    try:
        probe = subprocess.run(
            ["go", "list", "-m", "-versions", "github.com/openai/openai-go/v2"],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "the Go module proxy did not answer in 60 s"
    if probe.returncode != 0 or "v2.1.1" not in probe.stdout:
        return f"the Go module proxy is not reachable: {probe.stderr.strip()[-200:]}"
    return None


DOCS_LINE = ["go", "get", "-u", "github.com/openai/openai-go@v2.1.1"]  # the section's line, quotes aside
POST_V2 = (
    'invalid version: go.mod has post-v2 module path "github.com/openai/openai-go/v2" at revision v2.1.1'
)


def test_docs_install_line_breaks_gos_module_rule(driver_bin, tmp_path):
    """Installation: `go get -u 'github.com/openai/openai-go@v2.1.1'`. v2.1.1's go.mod says
    `module github.com/openai/openai-go/v2`, and Go serves a v2+ module only under its /vN path (the path the
    section's own imports use). Offline: the go command resolves the path from a local git copy of v2.1.1."""
    if shutil.which("git") is None:
        pytest.skip("git not on PATH")
    listed = subprocess.run(
        ["go", "list", "-m", "-json", "github.com/openai/openai-go/v2"],
        cwd=FOLDER, env=clean_env(GOFLAGS="-mod=mod"), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    repo, module = tmp_path / "openai-go", tmp_path / "module"
    shutil.copytree(json.loads(listed.stdout)["Dir"], repo)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-C", str(repo)]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v2.1.1"], ["tag", "v2.1.1"]):
        subprocess.run(git + args, check=True, capture_output=True)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "file://{repo}"]\n\tinsteadOf = https://github.com/openai/openai-go\n')
    env = clean_env(
        GIT_CONFIG_GLOBAL=str(gitconfig), GOMODCACHE=str(tmp_path / "modcache"), GOPROXY="direct",
        GOPRIVATE="github.com/openai/openai-go", GOFLAGS="-mod=mod",
    )  # fmt: skip
    module.mkdir()
    try:
        subprocess.run(
            ["go", "mod", "init", "example.com/docsline"], cwd=module, env=env, capture_output=True
        )
        docs = subprocess.run(DOCS_LINE, cwd=module, env=env, capture_output=True, text=True, timeout=300)
        fixed = subprocess.run(
            ["go", "mod", "download", "github.com/openai/openai-go/v2@v2.1.1"],
            cwd=module, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        subprocess.run(["go", "clean", "-modcache"], cwd=module, env=env, capture_output=True)
    assert docs.returncode != 0 and POST_V2 in docs.stderr, docs.stderr
    assert fixed.returncode == 0, fixed.stderr


def test_docs_install_line_against_the_module_proxy(tmp_path):
    """The same line against the Go module proxy this machine reaches: it fails there too, and the /v2 path
    resolves with its dependencies."""
    if shutil.which("go") is None:
        pytest.skip("go not on PATH")
    env = clean_env(GOFLAGS="-mod=mod")
    subprocess.run(["go", "mod", "init", "example.com/docsline"], cwd=tmp_path, env=env, capture_output=True)
    reason = _proxy_reachable(env, tmp_path)
    if reason:
        pytest.skip(reason)
    docs = subprocess.run(DOCS_LINE, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert docs.returncode != 0, docs.stderr
    assert "github.com/openai/openai-go@v2.1.1" in docs.stderr
    fixed = subprocess.run(
        ["go", "get", "github.com/openai/openai-go/v2@v2.1.1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert "github.com/openai/openai-go/v2 v2.1.1" in (tmp_path / "go.mod").read_text()


# --- Authentication: Entra ID through azure.WithTokenCredential --------------------------------------------
def test_entra_over_https_sends_the_token_and_asks_the_documented_scope(driver, standin, standin_tls):
    result = driver.call(standin_tls, auth="entra", accessors=["id", "message_content"])
    assert result["ok"], result
    assert result["credential_scopes"] == [SCOPE]
    assert standin.requests[-1].headers.get("authorization") == "Bearer standin-token"
    assert result["accessors"]["id"] == result["parsed"]["id"]


def test_entra_over_plain_http_is_refused_before_any_request(driver, standin):
    """azcore's bearer policy refuses http; openai-go v2 sets InsecureAllowCredentialWithHTTP on the pipeline's
    options, which that policy never reads. The credential is not even asked."""
    before = len(standin.requests)
    result = driver.call(standin.base_url, auth="entra")
    assert result["ok"] is False and result["error"]["message"] == NOT_TLS, result
    assert result["credential_scopes"] == []
    assert len(standin.requests) == before


def test_responses_with_entra_over_https(driver, standin_tls):
    params = {"model": "gpt-4.1-nano", "input": "Hi", "max_output_tokens": 16}
    result = driver.call(
        standin_tls, auth="entra", call="responses.create", params=params, accessors=["output_text"]
    )
    assert result["ok"], result
    assert isinstance(result["accessors"]["output_text"], str) and result["accessors"]["output_text"]


# --- Errors: *openai.Error's accessors ----------------------------------------------------------------------
def test_an_api_error_is_read_through_openai_error(driver):
    body = {
        "error": {"code": "429", "message": "Requests have exceeded the limit.", "type": "rate_limit_error"}
    }
    with Scripted(Reply(429, body, {"x-request-id": "req-go-1"})) as server:
        result = driver.call(server.base_url)
    assert result["ok"] is False
    assert result["error"] == {
        "class": "Error",
        "status": 429,
        "code": "429",
        "type": "rate_limit_error",
        "message": "Requests have exceeded the limit.",
        "request_id": "req-go-1",
    }
    assert result["status"] == 429 and result["request_id"] == "req-go-1"


def test_a_connection_failure_is_the_go_error_type(driver):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = driver.call(f"http://127.0.0.1:{port}/openai/v1/")
    assert result["ok"] is False and result["error"]["class"] == "url.Error", result
    assert result["error"]["status"] is None


# --- Retries: openai-go's, and azcore's inside them on the Entra path --------------------------------------
def test_openai_go_retries_409(driver):
    """The Go section documents no retry policy; openai-go retries 408, 409, 429 and >= 500."""
    with Scripted(
        Reply(409, {"error": {"code": "conflict", "message": "busy"}}, {"retry-after-ms": "1"})
    ) as server:
        result = driver.call(server.base_url, options={"max_retries": 2})
    assert result["error"]["status"] == 409
    assert [a.headers["x-stainless-retry-count"] for a in server.attempts] == ["0", "1", "2"]


@pytest.mark.parametrize("max_retries, attempts", [(0, 4), (1, 8)])
def test_entra_path_nests_azcores_retries_inside_openai_gos(driver, cert, max_retries, attempts):
    """azure.WithTokenCredential runs each attempt through an azcore pipeline whose default retry policy
    (3 more tries of 408/429/500/502/503/504) sits inside openai-go's loop: max_retries=0 still makes 4 attempts,
    azcore's re-sent with the same x-stainless-retry-count."""
    unavailable = Reply(503, {"error": {"code": "503", "message": "unavailable"}}, {"retry-after-ms": "1"})
    with Scripted(unavailable) as server:
        front = TLSFront(server.port)
        try:
            url = f"https://127.0.0.1:{front.port}/openai/v1/"
            result = driver.call(url, auth="entra", options={"max_retries": max_retries})
        finally:
            front.close()
    assert result["error"]["status"] == 503, result
    counts = [a.headers["x-stainless-retry-count"] for a in server.attempts]
    assert counts == [str(n) for n in range(max_retries + 1) for _ in range(4)]
    assert len(counts) == attempts


# --- The watchdog ---------------------------------------------------------------------------------------
def test_the_watchdog_ends_a_retry_after_sleep_and_the_driver_goes_on(driver, standin):
    """openai-go v2 sleeps out a retry-after under 60 s with time.Sleep, which no context deadline interrupts."""
    throttled = Reply(429, {"error": {"code": "429", "message": "slow down"}}, {"retry-after": "50"})
    with Scripted(throttled) as server:
        start = time.monotonic()
        result = driver.call(server.base_url, options={"max_retries": 1}, deadline_ms=1500)
        took = time.monotonic() - start
    assert result["ok"] is False and result["watchdog"] is True, result
    assert result["error"]["class"] == "Watchdog"
    assert took < 15
    assert len(server.attempts) == 1
    assert driver.call(standin.base_url)["ok"]


CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
         "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}  # fmt: skip
ONE_CHUNK = f"data: {json.dumps(CHUNK)}\n\n".encode()


def test_a_stream_cut_short_is_an_error_after_the_events_that_came(driver):
    with Scripted(Reply(200, ONE_CHUNK, cut=True)) as server:
        result = driver.call(server.base_url, {**CHAT, "stream": True}, stream=True)
    assert result["ok"] is False and result["error"]["message"] == "unexpected EOF", result
    assert [e["object"] for e in result["events"]] == ["chat.completion.chunk"] and result["text"] == "Hel"
    assert result["status"] == 200 and result["watchdog"] is False


def test_a_stalled_stream_ended_by_the_watchdog_keeps_the_events_that_came(driver):
    with Scripted(Reply(200, ONE_CHUNK, cut=True, stall=60)) as server:
        result = driver.call(server.base_url, {**CHAT, "stream": True}, stream=True, deadline_ms=1500)
    assert result["ok"] is False and result["watchdog"] is True, result
    assert result["text"] == "Hel" and len(result["events"]) == 1 and result["status"] == 200


# --- Params: what the typed params cannot hold is still sent as the call -----------------------------------
def test_an_input_the_typed_params_would_drop_is_sent_as_given(driver, standin):
    """responses.ResponseNewParams unmarshals an input message without "type" to nothing, silently."""
    params = {"model": "gpt-4.1-nano", "input": [{"role": "user", "content": "Hi"}], "max_output_tokens": 16}
    result = driver.call(standin.base_url, call="responses.create", params=params)
    assert result["ok"], result
    assert standin.requests[-1].body["input"] == params["input"]


# --- The SDK matrix: the newest v3 --------------------------------------------------------------------------
NEWEST_V3 = "v3.99.0"


def test_newest_v3_refuses_the_documented_entra_client(driver_bin, cert, standin, standin_tls):
    """Since v3.53.0 azure.WithTokenCredential wants azure.WithEndpoint (the api-version deployments route), and
    refuses the section's option.WithBaseURL(".../openai/v1/"); API-key clients still work."""
    env = clean_env(GOFLAGS="-mod=mod")
    reason = _proxy_reachable(env, FOLDER)
    if reason:
        pytest.skip(reason)
    build = subprocess.run(
        [str(FOLDER / "build")], cwd=FOLDER, capture_output=True, text=True, timeout=900,
        env={**env, "AOAI_CONFORMANCE_GO_OPENAI": NEWEST_V3},
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    d = _driver(cert[0], AOAI_CONFORMANCE_GO_OPENAI=NEWEST_V3)
    try:
        assert d.hello["version"] == NEWEST_V3
        entra = d.call(standin_tls, auth="entra")
        key = d.call(standin.base_url)
    finally:
        assert d.close() == 0
    assert entra["ok"] is False, entra
    assert entra["error"]["message"] == "azure: authentication requires azure.WithEndpoint"
    assert entra["credential_scopes"] == []
    assert key["ok"], key
