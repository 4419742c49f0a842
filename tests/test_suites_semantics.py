"""The Responses and Embeddings suites catch each broken promise they claim to check, and name it.

Every case runs one suite test in a pytest subprocess, live against the stand-in, with a ``mutator`` that
breaks exactly one promise in the stand-in's reply (installed by a tiny plugin written to tmp_path, through
the ``pytest_aoai_standin_started`` hook). The suite must fail (exit code 1) with the promise id in its output. A baseline
run with no mutation proves the same suite tests pass, so a caught mutant is caught for the right reason.

Mutations of different suite tests share a run (a plugin hook picks each suite test's mutation before it runs;
results.json then says which promise each one failed), so the file starts a handful of subprocesses, all at
once, instead of one per mutation; under pytest-xdist each run is started once and any worker can wait for it.

Two more runs prove the documented Entra ID gap for embeddings: under auth mode entra the suite's cells are
expected failures (expectations.toml), and if Entra ID starts working they are reported as "documentation may
be out of date".
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
RESPONSES = "suites/test_responses.py"
EMBEDDINGS = "suites/test_embeddings.py"
TIMEOUT = 120


# --- mutators: (route, Reply) -> Reply, each breaking one promise ------------------------------------------
def _body(route, reply, want):
    return reply.body if route == want and reply.status == 200 and isinstance(reply.body, dict) else None


def responses_usage_sum(route, reply):
    body = _body(route, reply, "responses")
    if body and body.get("usage"):
        body["usage"]["total_tokens"] += 1
    return reply


def responses_no_request_id(route, reply):
    if route == "responses":
        reply.headers = {k: v for k, v in reply.headers.items() if k.lower() != "x-request-id"}
    return reply


def responses_instructions_dropped(route, reply):
    body = _body(route, reply, "responses")
    if body:
        body["instructions"] = None
    return reply


def responses_effort_not_echoed(route, reply):
    body = _body(route, reply, "responses")
    if body:
        body["reasoning"]["effort"] = "medium"
    return reply


def _events(route, reply):
    return reply.events if route == "responses" and reply.events is not None else None


def stream_sequence_out_of_order(route, reply):
    events = _events(route, reply)
    if events:
        events[2]["sequence_number"], events[3]["sequence_number"] = 3, 2
    return reply


def stream_delta_disagrees(route, reply):
    events = _events(route, reply)
    if events:
        first = next(e for e in events if e["type"] == "response.output_text.delta")
        first["delta"] += " (not in the done text)"
    return reply


def stream_missing_output_item_done(route, reply):
    events = _events(route, reply)
    if events:
        kept = [e for e in events if e["type"] != "response.output_item.done"]
        for i, e in enumerate(kept):
            e["sequence_number"] = i
        reply.events = kept
    return reply


def stream_reasoning_item_never_done(route, reply):
    events = _events(route, reply)
    if events:
        kept = [
            e
            for e in events
            if not (e["type"] == "response.output_item.done" and e["item"]["type"] == "reasoning")
        ]
        for i, e in enumerate(kept):
            e["sequence_number"] = i
        reply.events = kept
    return reply


def stream_terminal_text_differs(route, reply):
    events = _events(route, reply)
    if events:
        final = events[-1]["response"]
        message = next(it for it in final["output"] if it["type"] == "message")
        message["content"][0]["text"] += " (only in response.completed)"
    return reply


def embeddings_usage_sum(route, reply):
    body = _body(route, reply, "embeddings")
    if body:
        body["usage"]["total_tokens"] += 1
    return reply


def embeddings_index_swapped(route, reply):
    body = _body(route, reply, "embeddings")
    if body and len(body["data"]) > 1:
        body["data"][0]["index"], body["data"][1]["index"] = 1, 0
    return reply


def embeddings_lengths_differ(route, reply):
    body = _body(route, reply, "embeddings")
    if body and len(body["data"]) > 1:
        body["data"][1]["embedding"] = body["data"][1]["embedding"][:-1]
    return reply


def embeddings_dimensions_ignored(route, reply):
    body = _body(route, reply, "embeddings")
    if body:
        for item in body["data"]:  # the model's full length, as if dimensions had not been sent
            item["embedding"] = item["embedding"] + [0.001] * (3072 - len(item["embedding"]))
    return reply


def embeddings_base64_other_floats(route, reply):
    body = _body(route, reply, "embeddings")
    if body:
        for item in body["data"]:
            if isinstance(item["embedding"], str):
                raw = base64.b64decode(item["embedding"])
                values = struct.unpack(f"<{len(raw) // 4}f", raw)
                negated = struct.pack(f"<{len(values)}f", *(-v for v in values))
                item["embedding"] = base64.b64encode(negated).decode()
    return reply


def _mcp_items(route, reply, kind):
    body = _body(route, reply, "responses")
    return [it for it in (body or {}).get("output", []) if it.get("type") == kind]


def mcp_call_server_label(route, reply):
    for item in _mcp_items(route, reply, "mcp_call"):
        item["server_label"] = "not_the_listed_server"
    return reply


def mcp_call_arguments_not_json(route, reply):
    for item in _mcp_items(route, reply, "mcp_call"):
        item["arguments"] = "query: Azure Functions"
    return reply


def mcp_approval_requested_anyway(route, reply):
    body = _body(route, reply, "responses")
    if body:
        for i, item in enumerate(body["output"]):
            if item["type"] == "mcp_call":
                body["output"][i] = {
                    "id": "mcpr_" + item["id"][4:],
                    "type": "mcp_approval_request",
                    "arguments": item["arguments"],
                    "name": item["name"],
                    "server_label": item["server_label"],
                }
    return reply


def mcp_approval_wrong_previous(route, reply):
    body = _body(route, reply, "responses")
    if body and body.get("previous_response_id"):
        body["previous_response_id"] = "resp_" + "0" * 50
    return reply


def mcp_approval_other_tool(route, reply):
    body = _body(route, reply, "responses")
    if body and body.get("previous_response_id"):
        for item in body["output"]:
            if item["type"] == "mcp_call":
                item["name"] = "microsoft_docs_fetch"
    return reply


def _unchanged(route, reply):
    return reply


# name -> (suite test, promise it must fail with, mutator)
R, E = f"{RESPONSES}::test_responses_", f"{EMBEDDINGS}::test_embeddings_"
CASES = {
    "responses-usage-sum": (R + "create", "responses.usage.sum", responses_usage_sum),
    "responses-no-x-request-id": (R + "create", "sdk.request-id", responses_no_request_id),
    "responses-instructions-dropped": (
        R + "create_with_instructions",
        "responses.instructions.echo",
        responses_instructions_dropped,
    ),
    "responses-effort-not-echoed": (
        R + "create_reasoning_effort_low",
        "responses.reasoning.effort",
        responses_effort_not_echoed,
    ),
    "stream-sequence-out-of-order": (
        R + "streaming",
        "responses.stream.sequence-number",
        stream_sequence_out_of_order,
    ),
    "stream-delta-disagrees": (
        R + "streaming",
        "responses.stream.text.output-text-done",
        stream_delta_disagrees,
    ),
    "stream-missing-output-item-done": (
        R + "streaming",
        "responses.stream.item-pairing",
        stream_missing_output_item_done,
    ),
    "stream-terminal-text-differs": (
        R + "streaming",
        "responses.stream.text.terminal-response",
        stream_terminal_text_differs,
    ),
    "stream-reasoning-item-never-done": (
        R + "streaming_reasoning",
        "responses.stream.item-pairing",
        stream_reasoning_item_never_done,
    ),
    "mcp-call-server-label": (R + "mcp_tool", "mcp.call.server-label", mcp_call_server_label),
    "mcp-call-arguments-not-json": (R + "mcp_tool", "mcp.call.arguments-json", mcp_call_arguments_not_json),
    "mcp-approval-requested-anyway": (
        R + "mcp_tool",
        "mcp.approval.not-requested",
        mcp_approval_requested_anyway,
    ),
    "mcp-approval-wrong-previous": (
        R + "mcp_tool_approval",
        "mcp.approval.previous-response",
        mcp_approval_wrong_previous,
    ),
    "mcp-approval-other-tool": (
        R + "mcp_tool_approval",
        "mcp.approval.call-matches",
        mcp_approval_other_tool,
    ),
    "embeddings-usage-sum": (E + "create_float", "embeddings.usage", embeddings_usage_sum),
    "embeddings-index-swapped": (E + "batch_input", "embeddings.index-order", embeddings_index_swapped),
    "embeddings-lengths-differ": (E + "batch_input", "embeddings.vector-length", embeddings_lengths_differ),
    "embeddings-dimensions-ignored": (
        E + "dimensions",
        "embeddings.dimensions",
        embeddings_dimensions_ignored,
    ),
    "embeddings-base64-other-floats": (
        E + "sdk_default_base64",
        "embeddings.base64.matches",
        embeddings_base64_other_floats,
    ),
}
BASELINE = "none"
ENTRA, ENTRA_WORKS = "entra", "entra-works"
EMBEDDINGS_TESTS = sorted({case[0] for case in CASES.values() if case[0].startswith(EMBEDDINGS)})
MUTATORS = {name: case[2] for name, case in CASES.items()} | {BASELINE: _unchanged}

PLUGIN = '''\
"""Installs, for each suite test, the mutation AOAI_MUTATIONS names for it on this process's stand-in."""
import json
import os

import test_suites_semantics as cases

PLAN = json.loads(os.environ.get("AOAI_MUTATIONS", "{}"))  # suite test name -> mutation name
_current = {"name": cases.BASELINE}


def pytest_aoai_standin_started(standin):  # the plugin's hook: no need to patch StandIn
    standin.mutator = lambda route, reply: cases.MUTATORS[_current["name"]](route, reply)
    # the documented gap closed: Entra tokens accepted on embeddings
    standin.embeddings_refuse_entra = not os.environ.get("AOAI_ENTRA_EMBEDDINGS")


def pytest_runtest_setup(item):
    _current["name"] = PLAN.get(getattr(item, "originalname", item.name), cases.BASELINE)
'''


def rounds(names: list[str]) -> list[dict[str, str]]:
    """Mutations grouped into runs that mutate each suite test at most once: [{suite nodeid: mutation}]."""
    out: list[dict[str, str]] = []
    for name in sorted(names):
        nodeid = CASES[name][0]
        slot = next((r for r in out if nodeid not in r), None)
        if slot is None:
            slot = {}
            out.append(slot)
        slot[nodeid] = name
    return out


# Runs a command with a time limit and leaves its exit code in a file (argv: limit, code file, command...):
# under pytest-xdist the worker that waits for a run need not be the one that started it.
LAUNCHER = """\
import subprocess, sys
try:
    code = subprocess.run(sys.argv[3:], timeout=float(sys.argv[1])).returncode
except subprocess.TimeoutExpired:
    code = "timeout"
open(sys.argv[2], "w").write(str(code))
"""


@dataclass
class Run:
    log: Path
    reports: Path
    code: int | None = None
    out: str = ""
    cases: dict[str, dict] = field(default_factory=dict)  # suite test name -> its results.json case

    @property
    def code_file(self) -> Path:
        return self.reports.with_name(self.reports.name + ".code")

    def wait(self) -> "Run":
        if self.code is None:
            done = self.code_file
            deadline = time.monotonic() + TIMEOUT + 30
            while not done.is_file() and time.monotonic() < deadline:
                time.sleep(0.1)
            self.out = self.log.read_text(encoding="utf-8", errors="replace") if self.log.is_file() else ""
            code = done.read_text().strip() if done.is_file() else "never finished"
            if not code.lstrip("-").isdigit():
                pytest.fail(f"suite run {self.reports.name}: {code} (limit {TIMEOUT}s): {self.out[-2000:]}")
            self.code = int(code)
            results = self.reports / "results.json"
            if results.is_file():
                for case in json.loads(results.read_text(encoding="utf-8"))["cases"]:
                    self.cases[case["id"].split("::")[-1].split("[")[0]] = case
        return self


def _start(
    root: Path, label: str, plan: dict[str, str], nodeids: list[str], auth: str = "key", **extra_env: str
) -> Run:
    """Start the run unless another xdist worker already did (an O_EXCL marker decides)."""
    reports, log = root / f"reports-{label}", root / f"{label}.log"
    run = Run(log, reports)
    try:
        os.close(os.open(root / f"{label}.started", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return run
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "OPENAI_", "AOAI_CONFORMANCE_", "PYTEST_XDIST", "PYTEST_ADDOPTS"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["AOAI_MUTATIONS"] = json.dumps({nodeid.split("::")[-1]: name for nodeid, name in plan.items()})
    env.update(extra_env)
    args = [
        sys.executable,
        "-m",
        "pytest",
        *nodeids,
        "--mode",
        "live",
        "--target",
        "standin",
        "--auth",
        auth,
        "--client",
        "sync",
        "-p",
        "aoai_mutation_plugin",
        "--reports-dir",
        str(reports),
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=line",
    ]
    with open(log, "w", encoding="utf-8") as f:  # a file, not a pipe: nothing blocks while others are read
        subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(TIMEOUT), str(run.code_file), *args],
            cwd=REPO,
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    return run


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The selected mutations' runs (and the baseline), all started at once: mutation name -> Run.

    Under pytest-xdist every worker sees the same selection and shares one directory, so each run is started
    once, by whichever worker gets there first, and any worker can wait for it."""
    root = tmp_path_factory.getbasetemp()
    root = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "suite-mutations"
    root.mkdir(exist_ok=True)
    plugin = root / "aoai_mutation_plugin.py"
    if not plugin.is_file():
        tmp = root / f".plugin-{os.getpid()}"
        tmp.write_text(PLUGIN, encoding="utf-8")
        os.replace(tmp, plugin)
    mine = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    wanted = {item.originalname for item in mine}
    selected = [
        item.callspec.params["mutation"]
        for item in mine
        if hasattr(item, "callspec") and "mutation" in item.callspec.params
    ]
    started: dict[str, Run] = {}
    if "test_baseline_passes" in wanted:
        started[BASELINE] = _start(root, BASELINE, {}, sorted({case[0] for case in CASES.values()}))
    if "test_embeddings_entra_is_a_documented_gap" in wanted:
        started[ENTRA] = _start(root, ENTRA, {}, EMBEDDINGS_TESTS, auth="entra")
    if "test_embeddings_entra_pass_is_reported_as_doc_out_of_date" in wanted:
        started[ENTRA_WORKS] = _start(
            root, ENTRA_WORKS, {}, EMBEDDINGS_TESTS[:1], auth="entra", AOAI_ENTRA_EMBEDDINGS="1"
        )
    for i, plan in enumerate(rounds(selected)):
        run = _start(root, f"round{i}", plan, sorted(plan))
        started.update({name: run for name in plan.values()})
    return started


def test_rounds_mutate_each_suite_test_once():
    plans = rounds(sorted(CASES))
    assert sorted(name for plan in plans for name in plan.values()) == sorted(CASES)
    per_test = [sum(1 for c in CASES.values() if c[0] == nodeid) for nodeid, _, _ in CASES.values()]
    assert len(plans) == max(per_test)


def test_baseline_passes(runs):
    """Unmutated, every suite test the mutations target passes live against the stand-in."""
    run = runs[BASELINE].wait()
    assert run.code == 0, run.out[-3000:]
    assert {c["status"] for c in run.cases.values()} == {"pass"}, run.out[-3000:]


@pytest.mark.parametrize("mutation", sorted(CASES))
def test_suite_catches_broken_promise(runs, mutation):
    """The suite test fails, on the broken promise, when the stand-in breaks exactly that promise."""
    nodeid, promise, _ = CASES[mutation]
    run = runs[mutation].wait()
    test = nodeid.split("::")[-1]
    case = run.cases.get(test)
    assert run.code == 1, f"exit {run.code} under {mutation}:\n{run.out[-3000:]}"
    assert case is not None, f"{test} did not run under {mutation}:\n{run.out[-3000:]}"
    failure = case.get("failure") or {}
    assert case["status"] == "fail" and failure.get("promise") == promise, (
        f"{test} under {mutation}: status {case['status']}, promise {failure.get('promise')!r}, "
        f"expected {promise!r}: {failure.get('message')}"
    )
    assert f"[{promise}]" in run.out, run.out[-3000:]


def test_embeddings_entra_is_a_documented_gap(runs):
    """Under Entra ID the embeddings calls fail on http.status, as documented: expected failures, exit 0."""
    run = runs[ENTRA].wait()
    assert run.code == 0, run.out[-3000:]
    assert len(run.cases) == len(EMBEDDINGS_TESTS), run.out[-3000:]
    for case in run.cases.values():
        assert case["status"] == "expected-fail", case
        assert case["failure"]["promise"] == "http.status", case["failure"]
        assert "don't support Microsoft Entra ID" in case["reason"], case["reason"]


def test_embeddings_entra_pass_is_reported_as_doc_out_of_date(runs):
    """If Entra ID starts working for embeddings, the run fails: "documentation may be out of date"."""
    run = runs[ENTRA_WORKS].wait()
    assert run.code == 1, run.out[-3000:]
    (case,) = run.cases.values()
    assert case["status"] == "unexpected-pass", case
    assert case["reason"].startswith("documentation may be out of date"), case["reason"]
