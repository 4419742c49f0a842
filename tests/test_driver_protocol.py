"""Every other-SDK driver keeps drivers/PROTOCOL.md: the hello line, one result per request in order, the
documented client per auth mode, errors and stuck calls as results, never a crash.

One table of drivers, one set of tests: a driver that breaks the contract fails here, whatever its language. Each
driver runs against the stand-in on 127.0.0.1; a driver whose toolchain or build is missing skips with the reason.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any

import drivers_kit as kit
import pytest

from aoai_conformance.standin import StandIn

SCOPE = kit.SCOPE
CHAT = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "When was Microsoft founded?"}],
    "max_tokens": 16,
}
RESPONSE = {
    "model": "gpt-4.1-nano",
    "instructions": "You are a helpful AI agent",
    "input": "Hi",
    "max_output_tokens": 16,
}


@dataclass(frozen=True)
class Spec:
    """What PROTOCOL.md lets differ between drivers."""

    clients: tuple[str, ...]  # the clients it has (sync / async)
    not_found: str  # its error class for a 404, from its SDK's sources


SPECS = {
    "node": Spec(("async",), "NotFoundError"),
    "go": Spec(("sync",), "Error"),
    "java": Spec(("sync", "async"), "NotFoundException"),
}


@pytest.fixture(scope="module", params=sorted(SPECS))
def driver(request):
    name = request.param
    d = kit.started(name)
    d.name, d.spec = name, SPECS[name]
    yield d
    d.close()


@pytest.fixture(scope="module")
def standin():
    with StandIn() as s:
        yield s


def _request(standin: StandIn, driver: kit.Driver, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    base = {"client": driver.spec.clients[0], "api_key": standin.api_key, "token": standin.tokens[0]}
    return kit.request(standin.base_url + "/", params, **{**base, **extra})


def _last_headers(standin: StandIn) -> dict[str, str]:
    return standin.requests[-1].headers


# --- the hello line ------------------------------------------------------------------------------------
def test_hello_names_the_sdk_its_version_and_runtime(driver):
    hello = driver.hello  # the manager refuses a first line that is no hello object
    assert isinstance(hello, dict), hello
    assert hello["sdk"].startswith("openai-")
    assert hello["version"][0].isdigit() or hello["version"].startswith("v")
    assert hello["runtime"]


# --- auth modes, as each section builds the client -----------------------------------------------------
def test_key_auth_sends_the_key_and_answers_the_accessors(driver, standin):
    accessors = ["id", "model", "message_content", "finish_reason", "usage.total_tokens"]
    result = driver.request(_request(standin, driver, CHAT, accessors=accessors))
    assert result["ok"], result
    assert result["status"] in (200, None)
    values = result["accessors"]
    assert values["model"] == "gpt-4o-2024-08-06"
    assert values["finish_reason"] in ("stop", "length")
    assert isinstance(values["usage.total_tokens"], int)
    assert isinstance(values["message_content"], str)
    assert result["parsed"]["id"] == values["id"]
    assert "standin-key" in json.dumps(_last_headers(standin))


def test_entra_auth_asks_the_documented_scope_and_sends_the_token(driver, standin):
    if driver.name == "go":
        pytest.skip("go: azcore's bearer policy needs TLS; tests/test_driver_go.py covers Entra over https")
    result = driver.request(
        _request(
            standin,
            driver,
            RESPONSE,
            call="responses.create",
            auth="entra",
            accessors=["output_text", "status"],
        )
    )
    assert result["ok"], result
    assert result["credential_scopes"] and set(result["credential_scopes"]) == {SCOPE}
    assert _last_headers(standin).get("authorization") == f"Bearer {standin.tokens[0]}"
    assert result["accessors"]["status"] in ("completed", "incomplete")  # the output cap may end it early


def test_env_auth_reads_the_environment(driver, standin):
    env = {"OPENAI_API_KEY": standin.api_key, "OPENAI_BASE_URL": standin.base_url + "/"}
    result = driver.request(_request(standin, driver, CHAT, auth="env", env=env, base_url=None, api_key=None))
    assert result["ok"], result
    assert "standin-key" in json.dumps(_last_headers(standin))


# --- streams --------------------------------------------------------------------------------------------
def test_a_stream_reports_every_event_in_order_and_its_text(driver, standin):
    result = driver.request(
        _request(standin, driver, {**RESPONSE, "stream": True}, call="responses.create", stream=True)
    )
    assert result["ok"], result
    types = [e["type"] for e in result["events"]]
    assert types[0] == "response.created", types
    assert types[-1] in ("response.completed", "response.incomplete"), types
    deltas = "".join(
        e["json"]["delta"] for e in result["events"] if e["type"] == "response.output_text.delta"
    )
    assert result["text"] == deltas


def test_azure_first_chat_chunk_object_is_passed_through(driver, standin):
    result = driver.request(_request(standin, driver, {**CHAT, "stream": True}, stream=True))
    assert result["ok"], result
    objects = [e.get("object") for e in result["events"]]
    assert objects and set(objects) <= {"chat.completion.chunk", ""}, objects


# --- errors and stuck calls are results ----------------------------------------------------------------
def test_an_error_answer_is_a_result_with_the_sdk_class_and_status(driver, standin):
    result = driver.request(_request(standin, driver, {**CHAT, "model": "no-such-deployment"}))
    assert result["ok"] is False
    error = result["error"]
    assert error["status"] == 404
    assert error["class"] == driver.spec.not_found
    assert error["code"] == "DeploymentNotFound"
    # Azure's 404 carries apim-request-id, not x-request-id (the stand-in follows it): no id to report.
    assert error["request_id"] in (None, "")


def test_a_request_it_cannot_understand_is_a_result_and_the_next_one_still_works(driver, standin):
    bad = driver.request({"call": "no.such.call", "params": {}})
    assert bad["ok"] is False and bad["error"]["class"] in ("DriverError", "Unsupported")
    good = driver.request(_request(standin, driver, CHAT))
    assert good["ok"], good


def test_a_stuck_call_is_ended_by_the_watchdog(driver):
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/openai/v1/"
        start = time.monotonic()
        options = {"max_retries": 0, "timeout_ms": 600000}
        req = kit.request(
            url, CHAT, client=driver.spec.clients[0], api_key="k", options=options, deadline_ms=1500
        )
        result = driver.request(req, timeout=60)
        took = time.monotonic() - start
    assert result["ok"] is False and result["watchdog"] is True, result
    assert took < 30


def test_results_come_back_in_request_order(driver, standin):
    ids = [driver.send(_request(standin, driver, CHAT)) for _ in range(3)]
    assert [driver.read()["id"] for _ in ids] == ids


@pytest.mark.parametrize("name", sorted(SPECS))
def test_end_of_input_ends_the_driver_cleanly(name):
    assert kit.started(name).close() == 0


# --- replay runs offline, in the driver's process too ---------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SPECS))
def test_under_the_network_guard_only_loopback_is_reached(name, standin):
    from aoai_conformance.sdks.driver import NETWORK_GUARD

    guarded = kit.started(name, env=NETWORK_GUARD)
    try:
        client = SPECS[name].clients[0]
        outside = guarded.request(kit.request("http://example.com/openai/v1/", CHAT, client=client))
        inside = guarded.request(
            kit.request(standin.base_url + "/", CHAT, client=client, api_key=standin.api_key)
        )
    finally:
        guarded.close()
    assert inside["ok"], inside
    error = outside["error"] or {}
    said = f"{error.get('message')} {error.get('cause')}"
    # Refused by the guard (Node) or at the closed proxy port (Go, the JVM), never after a DNS lookup of the host.
    assert outside["ok"] is False and not outside.get("watchdog"), outside
    assert any(
        s in said for s in ("network guard", "proxyconnect", "ConnectException: Connection refused")
    ), said
