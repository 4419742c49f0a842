"""responses.create with reasoning effort (the .NET section's call): reasoning tokens count against
max_output_tokens, so a response cut at the cap reports output_tokens within it (promise
``responses.max-output-tokens``); real answers cut at the cap pass, one over it fails, and the stand-in stays
within the cap at every effort, as the service does."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openai
import pytest

from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.documented import responses as r
from aoai_conformance.standin import StandIn

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
# Real answers cut at the cap: Azure (gpt-4o-mini, max_output_tokens 50) and OpenAI (max_output_tokens 20).
AZURE_AT_CAP = ("mirascope-mirascope.har", 28)
OPENAI_AT_CAP = ("openai-openai-dotnet.har", 13)


def _recorded(file: str, index: int) -> tuple[dict, dict]:
    """(request body, response body) of a corpus entry."""
    entry = json.loads((CORPUS / file).read_text(encoding="utf-8"))["log"]["entries"][index]
    return json.loads(entry["request"]["postData"]["text"]), json.loads(entry["response"]["content"]["text"])


def _at_cap() -> dict:
    request, body = _recorded(*AZURE_AT_CAP)
    return {"body": body, "max_output_tokens": request["max_output_tokens"]}


def _over_cap(kw: dict) -> None:
    usage = kw["body"]["usage"]
    usage["output_tokens"] += 1
    usage["total_tokens"] += 1  # still the sum: only the cap is broken


@pytest.mark.parametrize("case", [AZURE_AT_CAP, OPENAI_AT_CAP], ids=["azure", "openai"])
def test_real_answers_cut_at_the_cap_pass(case):
    request, body = _recorded(*case)
    assert body["status"] == "incomplete" and body["incomplete_details"]["reason"] == "max_output_tokens"
    assert body["usage"]["output_tokens"] == request["max_output_tokens"]  # exactly at the cap
    r.response_body(body, max_output_tokens=request["max_output_tokens"])


def test_output_over_the_cap_fails_naming_the_promise():
    kw = _at_cap()
    _over_cap(kw)
    with pytest.raises(ConformanceFailure) as info:
        r.response_body(**kw)
    assert info.value.promise == "responses.max-output-tokens"


def test_the_cap_is_checked_only_when_the_response_stopped_at_it():
    kw = _at_cap()
    _over_cap(kw)
    r.response_body(kw["body"])  # the cap unknown: nothing to compare with
    kw["body"]["incomplete_details"] = {"reason": "content_filter"}
    r.response_body(**kw)  # cut for another reason: the cap is not what stopped it


@pytest.mark.parametrize("effort", ["low", "medium", "high"])
def test_standin_stays_within_the_cap_at_every_effort(effort):
    with StandIn() as s:
        client = openai.OpenAI(api_key=s.api_key, base_url=s.base_url, max_retries=0)
        raw = client.responses.with_raw_response.create(
            model="o4-mini", input="This is a test.", reasoning={"effort": effort}, max_output_tokens=100
        )
    body = json.loads(raw.text)
    assert body["reasoning"]["effort"] == effort
    details = body["usage"]["output_tokens_details"]
    assert 0 < details["reasoning_tokens"] <= body["usage"]["output_tokens"] <= 100
    if effort == "high":  # its reasoning alone exceeds the cap: cut there, as Azure cuts
        assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    r.response_body(body, expect_model="o4-mini", max_output_tokens=100)


# --- this call's part of tests/test_invariants.py's tables (SCENARIOS, MUTATIONS: a failing case per promise)
SCENARIOS = {"response_incomplete_at_cap": (lambda: copy.deepcopy(_at_cap()), r.response_body)}
MUTATIONS = [("responses.max-output-tokens", "response_incomplete_at_cap", _over_cap)]
