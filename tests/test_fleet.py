"""Issue 15, proved without a cloud: the nightly's fan-out and merge over three local stand-in targets, and the
trend of 14 simulated nights.

What is real and what is simulated (docs/NIGHTLY.md says the same):
- real: the matrix comes from ``report --list-targets targets.toml``; each target is run on its own by
  ``aoai-conformance run --mode live`` against its own StandIn (127.0.0.1, port 0), with its secret named by
  variable; a switched stand-in (``require_credentials = False``: a wrong key is no longer refused) and a
  mutated one (embeddings answer with a wrong ``index``) break one documented promise each; a stand-in that
  answers every call with 429 is throttled out (exit 3, "not checked"); merges go through ``report --merge``.
- simulated: the 14 nights. Six real runs (a small -k selection, key auth) are the material; each night's
  results.json files are copies of those runs with the night's date written in (``run.started``): target
  ``eastus2`` takes its switched run on the nights a seeded coin (one in three) picks, ``staging`` its broken run
  from night 12 on, ``sweden`` its throttled run on night 7, and ``staging`` has no results at all on night 9.
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from aoai_conformance import cli, report
from aoai_conformance.report import _fleet, _history
from conftest import clean_env, cli_run

SELECTION = "test_chat_completion or test_wrong_credential or test_embeddings_create_float"
REGIONS = {"eastus2": "East US 2", "staging": "West Europe", "sweden": "Sweden Central"}
SEED, NIGHTS = 2, 14
FLAKY_NIGHTS = [n for n in range(1, NIGHTS + 1) if random.Random(f"{SEED}-{n}").random() < 1 / 3]
BROKEN_FROM, THROTTLED_NIGHT, MISSING_NIGHT = 12, 7, 9


def _throttled(route, reply):
    """Every call that would have succeeded is throttled (a wrong key is still refused first, as on Azure)."""
    if reply.status >= 400:
        return reply
    from aoai_conformance.documented.azure_errors import rate_limited
    from aoai_conformance.standin.reply import json_reply

    r = json_reply(rate_limited("ChatCompletions_Create").body(), 429)
    r.headers.update({"retry-after-ms": "1", "retry-after": "0"})  # the SDK retries at once: no real backoff
    return r


def _wrong_index(route, reply):
    if route == "embeddings" and isinstance(reply.body, dict) and reply.body.get("data"):
        reply.body["data"][0]["index"] = 7
    return reply


def _run(targets_file: Path, entry: dict, out: Path, env: dict[str, str]) -> int:
    """One matrix job: the target's secret exported under the name the matrix gives, then the live run."""
    env = {**env, entry["api_key_env"]: env["FLEET_SECRET_" + entry["target"]]}
    args = ["run", "--mode", "live", "--target", entry["target"], "--targets-file", str(targets_file)]
    args += ["--auth", "key", "--reports-dir", str(out), "-k", SELECTION, "-q"]
    r = subprocess.run(
        [sys.executable, "-m", "aoai_conformance.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (out / "results.json").is_file(), r.stdout[-2000:] + r.stderr[-2000:]
    return r.returncode


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    """Six real runs: each target as it should be, eastus2 switched, staging mutated, sweden throttled."""
    from aoai_conformance.standin import StandIn

    tmp = tmp_path_factory.mktemp("fleet")
    servers = {name: StandIn(api_key=f"key-{name}", tokens=(f"tok-{name}",)) for name in REGIONS}
    servers["eastus2-switched"] = StandIn(api_key="key-eastus2", tokens=("tok-eastus2",))
    servers["eastus2-switched"].require_credentials = False
    servers["staging-broken"] = StandIn(api_key="key-staging", tokens=("tok-staging",), mutator=_wrong_index)
    servers["sweden-throttled"] = StandIn(api_key="key-sweden", tokens=("tok-sweden",), mutator=_throttled)
    for s in servers.values():
        s.start()
    try:
        runs, codes = {}, {}
        for variant, server in servers.items():
            name = variant.split("-")[0]
            targets = tmp / f"{variant}.toml"
            targets.write_text(
                f'[targets.{name}]\nbase_url = "{server.base_url}"\nkind = "azure"\n'
                f'api_key_env = "{name.upper()}_AOAI_KEY"\nregion = "{REGIONS[name]}"\n',
                encoding="utf-8",
            )
            (entry,) = _fleet.list_targets(targets)  # the fan-out: the matrix the workflow's first job prints
            assert entry == {
                "target": name,
                "base_url_env": "",
                "api_key_env": f"{name.upper()}_AOAI_KEY",
                "ad_token_env": "",
                "region": REGIONS[name],
            }
            env = clean_env(**{f"FLEET_SECRET_{name}": f"key-{name}"})
            codes[variant] = _run(targets, entry, tmp / variant, env)
            runs[variant] = json.loads((tmp / variant / "results.json").read_text(encoding="utf-8"))
    finally:
        for s in servers.values():
            s.stop()
    return runs, codes


def _night(results: dict, n: int) -> dict:
    night = copy.deepcopy(results)
    night["run"]["started"] = night["run"]["finished"] = f"2026-11-{n:02d}T03:23:00Z"
    return night


def _simulate(tmp: Path, runs: dict, *, staging_breaks: bool = True) -> Path:
    history = tmp / "history"
    for n in range(1, NIGHTS + 1):
        chosen = {
            "sweden": runs["sweden-throttled" if n == THROTTLED_NIGHT else "sweden"],
            "eastus2": runs["eastus2-switched" if n in FLAKY_NIGHTS else "eastus2"],
            "staging": runs["staging-broken" if staging_breaks and n >= BROKEN_FROM else "staging"],
        }
        files = []
        for name, results in chosen.items():
            path = tmp / "nights" / f"{n:02d}" / f"results-{name}" / "results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            if not (name == "staging" and n == MISSING_NIGHT):  # the job timed out: no file at all
                path.write_text(json.dumps(_night(results, n)), encoding="utf-8")
            files.append(str(path))
        out = history / f"2026-11-{n:02d}"
        assert (
            cli.main(
                ["report", "--merge", *files, "--expect-targets", "eastus2,staging,sweden", "--out", str(out)]
            )
            == 0
        )
    return history


def test_each_target_runs_on_its_own_and_a_throttled_one_is_not_checked(material):
    runs, codes = material
    assert codes["sweden"] == codes["eastus2"] == codes["staging"] == 0
    assert codes["eastus2-switched"] == codes["staging-broken"] == 1
    assert codes["sweden-throttled"] == cli.EXIT_NOT_CHECKED == 3
    (unchecked,) = runs["sweden-throttled"]["run"]["not_checked"]
    assert (
        unchecked["target"] == "sweden" and unchecked["throttled"] == unchecked["cases"] - 1
    )  # the 401 passed
    assert unchecked["headline"].startswith("NOT CHECKED: sweden:")
    assert unchecked["headline"] in runs["sweden-throttled"]["run"]["hints"]  # the run's last line too
    for variant, results in runs.items():
        (target,) = results["run"]["targets"]
        assert target["region"] == REGIONS[variant.split("-")[0]]
        assert all(c["sdk"] == "python" and c["sdk_version"] for c in results["cases"])
    assert runs["sweden"]["run"]["targets"][0]["model_versions"]  # what the stand-in reported
    validator = jsonschema.Draft202012Validator(json.loads(report.schema_path().read_text("utf-8")))
    for results in [*runs.values(), _fleet.not_run_stub("westus", "no credentials")]:
        validator.validate(results)


def test_one_night_merges_three_targets_and_names_the_broken_cell(material, tmp_path):
    runs, _ = material
    files = []
    for name, variant in (("sweden", "sweden"), ("eastus2", "eastus2-switched"), ("staging", "staging")):
        path = tmp_path / f"results-{name}" / "results.json"
        path.parent.mkdir()
        path.write_text(json.dumps(runs[variant]), encoding="utf-8")
        files.append(str(path))
    stub = tmp_path / "results-westus" / "results.json"
    assert _fleet_stub(stub.parent, "westus") == 0
    assert (
        cli.main(["report", "--merge", *files, str(stub), "--expect-targets", "apim", "--out", str(tmp_path)])
        == 0
    )
    fleet = json.loads((tmp_path / "fleet.json").read_text(encoding="utf-8"))
    states = {t["name"]: (t["state"], t["region"]) for t in fleet["targets"]}
    assert states == {
        "apim": ("not-run", None),
        "eastus2": ("checked", "East US 2"),
        "staging": ("checked", "West Europe"),
        "sweden": ("checked", "Sweden Central"),
        "westus": ("not-run", None),
    }
    (bad,) = [c for c in fleet["cells"] if c["status"] == "fail"]
    assert (bad["target"], bad["region"], bad["call"]) == (
        "eastus2",
        "East US 2",
        "error code 401 AuthenticationError",
    )
    assert bad["model_versions"] and bad["promises"]
    md = (tmp_path / "fleet.md").read_text(encoding="utf-8")
    assert "NOT RUN: apim" in md and "NOT RUN: westus" in md and "East US 2" in md
    assert "<td" in (tmp_path / "fleet.html").read_text(encoding="utf-8")


def _fleet_stub(out: Path, name: str) -> int:
    from aoai_conformance.report.__main__ import main

    return main(
        ["--not-run-stub", name, "--reason", "no credentials: WESTUS_AOAI_KEY is not set", "--out", str(out)]
    )


def test_fourteen_nights_flaky_is_not_new_and_fail_on_new_exits_1_for_the_new_only(
    material, tmp_path, capsys
):
    runs, _ = material
    assert 3 <= len(FLAKY_NIGHTS) <= 7 and NIGHTS in FLAKY_NIGHTS  # the seed flakes on the last night too
    history = _simulate(tmp_path, runs)
    t = _history.trend(_history.load_nights(history))
    assert len(t.nights) == NIGHTS
    verdicts = {(s.target, s.call): s for s in t.strips if s.verdict != "ok"}
    flaky = verdicts[("eastus2", "error code 401 AuthenticationError")]
    assert flaky.verdict == "flaky" and flaky.failed == len(FLAKY_NIGHTS) and flaky.checked == NIGHTS
    new = verdicts[("staging", "embeddings.create")]
    assert new.verdict == "new" and new.first_seen == f"2026-11-{BROKEN_FROM:02d}T03:23:00Z"
    assert new.region == "West Europe" and new.model_versions
    assert set(verdicts) == {
        ("eastus2", "error code 401 AuthenticationError"),
        ("staging", "embeddings.create"),
    }
    sweden = next(s for s in t.strips if s.target == "sweden")
    assert sweden.statuses[THROTTLED_NIGHT - 1] == "not-checked" and sweden.verdict == "ok"
    staging = next(s for s in t.strips if s.target == "staging")
    assert staging.statuses[MISSING_NIGHT - 1] == "not-run"

    capsys.readouterr()
    code = cli.main(
        ["report", "--history", str(history), "--fail-on", "new", "--out", str(tmp_path / "trend")]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "NEW: embeddings.create on staging" in out and "region West Europe" in out
    assert "ignored 1 known flaky cell(s)" in out and "eastus2: failed" in out
    md = (tmp_path / "trend" / "trend.md").read_text(encoding="utf-8")
    assert (
        "## New (1)" in md
        and "## Flaky (1)" in md
        and f"flaky \\(failed {len(FLAKY_NIGHTS)} of {NIGHTS}\\)" in md
    )
    assert "?" in next(line for line in md.splitlines() if "on sweden" in line)  # the throttled night
    html = (tmp_path / "trend" / "trend.html").read_text(encoding="utf-8")
    assert 'class="not-checked"' in html and 'class="fail"' in html
    # Secrets never land in a report: no target's key in any night's fleet.* or the trend.
    written = [*history.rglob("fleet.*"), *(tmp_path / "trend").iterdir()]
    assert written and not [p for p in written for name in REGIONS if f"key-{name}" in p.read_text("utf-8")]


def test_without_the_new_break_fail_on_new_passes_over_the_known_flake(material, tmp_path, capsys):
    runs, _ = material
    history = _simulate(tmp_path, runs, staging_breaks=False)
    capsys.readouterr()
    code = cli.main(["report", "--history", str(history), "--fail-on", "new", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ignored 1 known flaky cell(s)" in out and "no new failures: exit 0" in out


def test_a_last_night_not_checked_exits_3_when_nothing_is_new(tmp_path, capsys):
    night = _fleet.not_run_stub("sweden", "throttled out")
    path = tmp_path / "n1" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(night), encoding="utf-8")
    assert cli.main(["report", "--merge", str(path), "--out", str(tmp_path / "h" / "n1")]) == 0
    assert cli.main(["report", "--history", str(tmp_path / "h"), "--fail-on", "new"]) == 3
    assert "NOT RUN: sweden" in capsys.readouterr().out


def test_list_targets_reads_the_example_and_falls_back_to_the_endpoint(tmp_path):
    example = Path(__file__).resolve().parents[1] / "targets.example.toml"
    names = [e["target"] for e in _fleet.list_targets(example)]
    assert names == sorted(names) and "prod-sweden" in names
    assert (
        _fleet.list_targets(None, {"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"})[0]["target"]
        == "endpoint"
    )
    assert _fleet.list_targets(None, {}) == []
    r = subprocess.run(
        [sys.executable, "-m", "aoai_conformance.report", "--list-targets", str(example)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert r.returncode == 0 and json.loads(r.stdout)["include"][0]["target"] == names[0]


def test_repeat_runs_each_live_case_k_times_and_counts_tokens_per_repeat(tmp_path):
    from aoai_conformance.standin import StandIn

    with StandIn(api_key="key-r", tokens=("tok-r",)) as server:
        targets = tmp_path / "targets.toml"
        targets.write_text(
            f'[targets.r]\nbase_url = "{server.base_url}"\nkind = "azure"\napi_key_env = "R_KEY"\n',
            encoding="utf-8",
        )
        args = ["run", "--mode", "live", "--target", "r", "--targets-file", str(targets), "--auth", "key"]
        args += [
            "--repeat",
            "3",
            "--reports-dir",
            str(tmp_path),
            "-k",
            "test_chat_completion and not image",
            "-q",
        ]
        r = cli_run(*args, env=clean_env(R_KEY="key-r"))
    assert r.code == 0, r.out[-3000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["repeat"] == 3
    by_repeat = results["run"]["tokens"]["by_repeat"]
    assert (
        list(by_repeat) == ["1", "2", "3"]
        and sum(by_repeat.values()) == results["run"]["tokens"]["total"] > 0
    )
    assert sorted({c["repeat"] for c in results["cases"]}) == [1, 2, 3]
    assert all(c["id"].endswith(f"-r{c['repeat']}]") for c in results["cases"])
    assert "pass^3" in (tmp_path / "compat.md").read_text(encoding="utf-8")


def test_repeat_is_refused_outside_live_runs_in_one_line():
    r = cli_run("run", "--repeat", "2", "-k", "test_chat_completion", env=clean_env())
    assert r.code == 2
    assert "--repeat 2 repeats live calls: use it with --mode live" in r.out
    assert "Traceback" not in r.out
