"""The error, error-code and request-id suites catch a service that breaks their promises.

Each case runs one suite test live against the stand-in in a pytest subprocess, with a mutator installed by
a tiny plugin (chosen by an environment variable) that breaks one promise; the run must fail (exit 1) naming
that promise, in the output and in results.json. A control run without mutation must pass, so the failures
come from the mutations. Several mutations share a subprocess (one per test) and the runs go in parallel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ERRORS = "suites/test_errors.py"
IDS = "suites/test_request_ids.py"

PLUGIN = textwrap.dedent('''
    """Installs a mutator into every stand-in the run starts; AOAI_TEST_MUTATIONS (JSON) maps a test's name to
    the mutation applied while that test runs (one subprocess then covers several mutations)."""
    import json
    import os

    from aoai_conformance.standin.reply import Reply

    MUTATIONS = json.loads(os.environ.get("AOAI_TEST_MUTATIONS") or "{}")
    CURRENT = {"mutation": ""}


    def pytest_runtest_setup(item):
        CURRENT["mutation"] = MUTATIONS.get(item.originalname, "")
        _apply()


    def _drop(reply, name):
        reply.headers = {k: v for k, v in reply.headers.items() if k.lower() != name}


    def mutator(route, reply: Reply):
        mutation = CURRENT["mutation"]
        if mutation == "strip-x-request-id":
            _drop(reply, "x-request-id")
        elif mutation == "strip-apim-request-id":
            _drop(reply, "apim-request-id")
        elif mutation == "401-as-403" and reply.status == 401:
            reply.status = 403
        elif mutation == "404-as-400" and reply.status == 404:
            reply.status = 400
        elif mutation == "400-as-500" and reply.status == 400:
            reply.status = 500
        elif mutation == "error-without-message" and reply.status >= 400 and isinstance(reply.body, dict):
            reply.body["error"].pop("message", None)
        return reply


    STANDINS = []


    def _apply():
        for standin in STANDINS:
            standin.require_credentials = CURRENT["mutation"] != "accept-without-credentials"
            standin.error_request_id = CURRENT["mutation"] == "error-request-id"


    def pytest_aoai_standin_started(standin):  # the plugin's hook: no need to patch StandIn
        standin.mutator = mutator
        STANDINS.append(standin)
        _apply()
''')

# A suite test that must hold, but report a difference between the documentation and what it met.
DOC_SDK = "doc-sdk-difference"

# (mutation, suite test, the promise its failure must name; None: the test must still pass)
CASES = [
    ("strip-x-request-id", f"{IDS}::test_chat_completion_request_id", "sdk.request-id"),  # a 2xx needs it
    # The stand-in's 404 lacks x-request-id as Azure's does (issue 12): the control run reports it (DOC_SDK).
    # With the header sent, e.request_id is checked against it and the row is a plain pass.
    ("error-request-id", f"{IDS}::test_error_request_id", None),
    (
        "strip-apim-request-id",
        f"{IDS}::test_error_request_id",
        "http.azure-headers",
    ),  # Azure's own id may not
    # Injected faults are answered by the fault proxy with its own request ids: the stand-in's are not needed.
    ("strip-x-request-id", f"{ERRORS}::test_status_429_raises_rate_limit_error", None),
    ("strip-apim-request-id", f"{IDS}::test_response_request_id", "http.azure-headers"),
    ("401-as-403", f"{ERRORS}::test_wrong_credential_raises_authentication_error", "errors.exception-class"),
    ("404-as-400", f"{ERRORS}::test_unknown_deployment_raises_not_found_error", "errors.exception-class"),
    ("400-as-500", f"{ERRORS}::test_invalid_parameter_raises_bad_request_error", "errors.exception-class"),
    ("error-without-message", f"{ERRORS}::test_fine_tuning_job_error_example", "error.message"),
    (
        "accept-without-credentials",
        f"{ERRORS}::test_wrong_credential_raises_authentication_error",
        "errors.status",
    ),
]
TESTS = sorted({test for _, test, _ in CASES})


def _batches() -> list[dict[str, str]]:
    """Test -> mutation maps, each test at most once per map; the first map is the unmutated control."""
    batches: list[dict[str, str]] = [{}]
    for mutation, test, _ in CASES:
        for batch in batches[1:]:
            if test not in batch:
                batch[test] = mutation
                break
        else:
            batches.append({test: mutation})
    return batches


def _run(tmp: Path, plugin_dir: Path, mutations: dict[str, str]) -> tuple[int, str, dict[str, dict]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "OPENAI_", "AOAI_CONFORMANCE_", "PYTEST_XDIST", "PYTEST_ADDOPTS"))
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(plugin_dir), str(REPO), env.get("PYTHONPATH")) if p)
    env["AOAI_TEST_MUTATIONS"] = json.dumps({t.split("::")[1]: m for t, m in mutations.items()})
    env["COLUMNS"] = "400"  # the short summary keeps each failure's whole message
    tests = list(mutations) or TESTS
    reports = tmp / "reports"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *tests,
            "--mode",
            "live",
            "--target",
            "standin",
            "--auth",
            "key",
            "--client",
            "sync",
            "-p",
            "errors_mutation_plugin",
            "--reports-dir",
            str(reports),
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    results = reports / "results.json"
    cases = json.loads(results.read_text())["cases"] if results.is_file() else []
    return proc.returncode, proc.stdout, {c["id"].split("::")[0] + "::" + c["test"]: c for c in cases}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[tuple[dict[str, str], tuple[int, str, dict[str, dict]]]]:
    plugin_dir = tmp_path_factory.mktemp("plugin")
    (plugin_dir / "errors_mutation_plugin.py").write_text(PLUGIN)
    batches = _batches()
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        futures = [pool.submit(_run, tmp_path_factory.mktemp("run"), plugin_dir, b) for b in batches]
        return [(b, f.result()) for b, f in zip(batches, futures)]


def _outcome(runs, mutation: str, test: str):
    for batch, result in runs[1:]:
        if batch.get(test) == mutation:
            return result
    raise AssertionError(f"no run applied {mutation} to {test}")


# What the unmutated stand-in gives: Azure's error answers carry no x-request-id, which the request-id row
# reports as a doc/SDK difference; every other test used here passes.
CONTROL = {f"{IDS}::test_error_request_id": DOC_SDK}


def test_unmutated_stand_in_passes_every_test_used_here(runs):
    _, (code, out, cases) = runs[0]
    assert code == 0, out
    assert sorted(cases) == TESTS, out
    for test, case in cases.items():
        want = CONTROL.get(test)
        assert case["status"] == ("pass" if want is None else "doc-sdk-difference"), (test, out)
    reason = cases[f"{IDS}::test_error_request_id"]["reason"]
    assert "apim-request-id but no x-request-id, so e.request_id is None" in reason, reason


@pytest.mark.parametrize("mutation,test,promise", CASES, ids=[f"{m}-{t.split('::')[1]}" for m, t, _ in CASES])
def test_mutation_fails_naming_the_promise(runs, mutation, test, promise):
    code, out, cases = _outcome(runs, mutation, test)
    case = cases[test]
    if promise is None:
        assert case["status"] == "pass", out
        return
    assert code == 1, out
    assert case["status"] == "fail" and case["failure"]["promise"] == promise, out
    name = test.split("::")[1]
    assert any(
        line.startswith("FAILED") and name in line and f"[{promise}]" in line for line in out.splitlines()
    ), out
