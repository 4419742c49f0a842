"""The .NET plan (drivers/dotnet/plan.jsonl): generated from what the harness would send, never stale, and
holding every call the .NET section documents (aoai_conformance/sdks/coverage.py DOTNET)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aoai_conformance.sdks import coverage, plan

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "drivers" / "dotnet" / "plan.jsonl"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("plan") / "plan.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "aoai_conformance.sdks.plan", "--sdk", "dotnet", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:] + proc.stdout[-2000:]
    return out.read_text()


def features(request: dict) -> set[str]:
    """The .NET section's features one request exercises."""
    name = request["call"] + (" (stream)" if request["stream"] else "")
    if any(isinstance(t, dict) and t.get("type") == "mcp" for t in request["params"].get("tools") or []):
        name = "responses.create (MCP tool)"
    out = {name}
    if "/test_errors.py::" in request["id"]:
        out.add("error codes")
    if "/test_retries.py::" in request["id"]:
        out.add("retries")
    return out


def test_the_committed_plan_is_the_generated_one(regenerated):
    assert COMMITTED.read_text() == regenerated, (
        "drivers/dotnet/plan.jsonl is stale: run python -m aoai_conformance.sdks.plan --sdk dotnet"
    )


def test_every_documented_dotnet_call_is_in_the_plan(regenerated):
    requests = [json.loads(line) for line in regenerated.splitlines()]
    assert requests
    seen = set().union(*(features(r) for r in requests))
    assert set(coverage.DOTNET.features) <= seen, set(coverage.DOTNET.features) - seen
    for feature in coverage.DOTNET.features:
        auths = {r["auth"] for r in requests if feature in features(r)}
        assert auths == set(coverage.DOTNET.auth) or feature == "responses.create (MCP tool)", (
            feature,
            auths,
        )
    # the section's embeddings call, with a key
    assert any(r["call"] == "embeddings.create" and r["auth"] == "key" for r in requests)
    # only the auth modes and clients the section shows, each case once
    assert {r["auth"] for r in requests} <= set(coverage.DOTNET.auth)
    assert {r["client"] for r in requests} <= set(coverage.DOTNET.clients)
    assert len({r["id"] for r in requests}) == len(requests)


def test_the_plan_holds_no_credential_and_no_local_address(regenerated):
    for line in regenerated.splitlines():
        r = json.loads(line)
        for value in (r["api_key"], r["token"]):  # replay's fixed fakes, or the wrong-credential test's own
            assert value in ("", "replay-api-key", "replay-entra-token") or "wrong" in value, r["id"]
    assert "127.0.0.1" not in regenerated and "/p/" not in regenerated


def test_the_stand_in_answers_not_run_and_keeps_the_request():
    driver = plan.PlanDriver("dotnet")
    before = len(plan.PlanDriver.captured)
    answer = driver.request({"id": "1", "call": "x", "base_url": "http://127.0.0.1:4242/p/abc/openai/v1/"})
    assert answer["ok"] is False and answer["not_run"] == coverage.NO_DRIVER["dotnet"]
    kept = plan.PlanDriver.captured[before:]
    plan.PlanDriver.captured[before:] = []
    assert kept[0]["base_url"] == "{scope}/openai/v1/"


def test_a_driver_that_exists_gets_no_plan(capsys):
    assert plan.main(["--sdk", "node", "--out", "/dev/null"]) == 2
    assert "has a driver" in capsys.readouterr().err
