"""The engine end to end: replay offline, record atomically and scrubbed, live from the environment alone.

These run the real suites in a subprocess (as a user would) against the bundled cassettes or a stand-in the
test starts on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_scrub import OBJECT, TENANT, make_jwt

from aoai_conformance.standin import StandIn
from conftest import REPO, SUITES, clean_env, cli_run, run, run_pytest

CHAT = str(SUITES / "test_chat.py")


def results(reports: Path) -> dict:
    return json.loads((reports / "results.json").read_text())


def no_traceback(out: str) -> None:
    assert "Traceback" not in out and "INTERNALERROR" not in out, out


def test_plugin_options_appear_in_pytest_help():
    r = run_pytest("--help")
    for option in ("--mode", "--auth", "--target", "--targets-file", "--reports-dir", "--profile"):
        assert option in r.out


def test_replay_passes_under_every_auth_mode_and_client(tmp_path):
    r = run_pytest(CHAT, "-q", "--reports-dir", str(tmp_path))
    assert r.code == 0, r.out
    cases = results(tmp_path)["cases"]
    seen = {(c["params"]["auth"], c["params"]["client"]) for c in cases}
    assert seen == {(a, c) for a in ("entra", "key", "env") for c in ("sync", "async")}
    assert all(c["status"] in ("pass", "not-applicable") for c in cases)
    assert "test_chat_completion[key-sync-standin]" in {c["id"].split("::")[1] for c in cases}


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    not _unshare_works(), reason="unshare -rn (a network namespace with no network) is not permitted here"
)
def test_whole_replay_passes_with_no_network_at_all(tmp_path):
    """No network, not even loopback: replay starts no server and opens no socket."""
    r = run(
        [
            "unshare",
            "-rn",
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            str(SUITES),
            "-q",
            "--reports-dir",
            str(tmp_path),
        ],
        timeout=600,
    )
    assert r.code == 0, r.out[-3000:]


def test_missing_cassette_fails_with_one_line_naming_it_and_the_record_command(tmp_path):
    r = run_pytest(
        CHAT,
        "-q",
        "-k",
        "test_chat_completion and key-sync",
        "--cassettes-dir",
        str(tmp_path / "none"),
        "--reports-dir",
        str(tmp_path / "r"),
    )
    assert r.code == 1
    line = next(x for x in r.lines if "missing cassette" in x)
    assert "test_chat_completion.json" in line
    assert (
        "record it with: aoai-conformance run --mode record --target standin -k test_chat_completion" in line
    )
    no_traceback(r.out)


def test_request_not_in_cassette_fails_with_one_line(cassette_copy, tmp_path):
    path = cassette_copy / "standin" / "chat" / "test_chat_completion.json"
    data = json.loads(path.read_text())
    data["interactions"][0]["request"]["body"] = data["interactions"][0]["request"]["body"].replace(
        "64", "65"
    )
    path.write_text(json.dumps(data))
    r = run_pytest(
        CHAT,
        "-q",
        "-k",
        "test_chat_completion and key-sync",
        "--cassettes-dir",
        str(cassette_copy),
        "--reports-dir",
        str(tmp_path),
    )
    assert r.code == 1
    assert any(
        "no recorded interaction in" in x and "matches POST /openai/v1/chat/completions" in x for x in r.lines
    )
    no_traceback(r.out)


def test_unreadable_cassette_is_one_line_and_left_untouched(cassette_copy, tmp_path):
    path = cassette_copy / "standin" / "chat" / "test_chat_completion.json"
    path.write_text("{ not json")
    r = run_pytest(
        CHAT,
        "-q",
        "-k",
        "test_chat_completion and key-sync",
        "--cassettes-dir",
        str(cassette_copy),
        "--reports-dir",
        str(tmp_path),
    )
    assert r.code == 1 and any("is unreadable" in x for x in r.lines)
    assert path.read_text() == "{ not json"
    no_traceback(r.out)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mode", "bogus"], "unknown mode 'bogus': use --mode replay, record or live"),
        (["--auth", "aad"], "unknown auth mode 'aad'"),
        (["--target", "nowhere"], "unknown target 'nowhere'"),
    ],
)
def test_bad_option_is_one_line_not_a_traceback(tmp_path, args, message):
    r = run_pytest(CHAT, *args, "--reports-dir", str(tmp_path))
    assert r.code == 4 and message in r.out
    no_traceback(r.out)
    c = cli_run("run", *args, "--reports-dir", str(tmp_path))
    assert c.code == 2 and (message in c.out or "invalid choice: 'bogus'" in c.out), c.out
    no_traceback(c.out)


def test_bad_targets_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "targets.toml"
    bad.write_text('[targets.prod]\nbase_url = "https://x.openai.azure.com"\napi_key = "sk-leaked"\n')
    r = cli_run(
        "run",
        "--mode",
        "live",
        "--targets-file",
        str(bad),
        "--target",
        "prod",
        "--reports-dir",
        str(tmp_path),
    )
    assert r.code == 2 and "use api_key_env" in r.out and "sk-leaked" not in r.out
    no_traceback(r.out)


def test_live_against_the_standin_passes_under_all_three_auth_modes(tmp_path):
    r = run_pytest(CHAT, "-q", "--mode", "live", "--target", "standin", "--reports-dir", str(tmp_path))
    assert r.code == 0, r.out[-3000:]
    auths = {c["params"]["auth"] for c in results(tmp_path)["cases"] if c["status"] == "pass"}
    assert auths == {"entra", "key", "env"}


def test_record_rewrites_cassettes_with_provenance_and_replay_passes(cassette_copy, tmp_path):
    path = cassette_copy / "standin" / "chat" / "test_chat_completion.json"
    before = path.read_text()
    r = run_pytest(
        CHAT,
        "-q",
        "--mode",
        "record",
        "--target",
        "standin",
        "--client",
        "sync",
        "--cassettes-dir",
        str(cassette_copy),
        "--reports-dir",
        str(tmp_path / "rec"),
    )
    assert r.code == 0, r.out[-3000:]
    after = json.loads(path.read_text())
    assert path.read_text() != before, "ids differ between recordings, so a rewrite changes the file"
    meta = after["metadata"]
    assert (
        meta["target_kind"] == "standin"
        and meta["sdk_version"]
        and meta["suite_version"]
        and meta["recorded_at"]
    )
    r = run_pytest(CHAT, "-q", "--cassettes-dir", str(cassette_copy), "--reports-dir", str(tmp_path / "rep"))
    assert r.code == 0, r.out[-3000:]


def test_killing_a_record_run_midway_leaves_every_cassette_usable(cassette_copy, tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            str(SUITES),
            "-q",
            "--mode",
            "record",
            "--target",
            "standin",
            "--cassettes-dir",
            str(cassette_copy),
            "--reports-dir",
            str(tmp_path / "rec"),
        ],
        cwd=REPO,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for path in cassette_copy.rglob("*.json"):
        json.loads(path.read_text())  # every cassette is whole: old, or fully rewritten
    r = run_pytest(
        str(SUITES), "-q", "--cassettes-dir", str(cassette_copy), "--reports-dir", str(tmp_path / "rep")
    )
    assert r.code == 0, r.out[-3000:]


CANARY_SUITE = """
from aoai_conformance.checks import fail
from aoai_conformance.plugin import documented


@documented("canary", "Canary / evidence")
def test_canary_failure_carries_evidence(aoai):
    aoai.create("chat.completions", model=aoai.deployment("chat"), max_tokens=16,
                messages=[{"role": "user", "content": "canary"}])
    fail("canary.evidence", "deliberate failure so the reports carry a request and response as evidence")
"""


def test_record_run_with_canary_secrets_leaves_none_in_cassettes_or_reports(tmp_path):
    key = "canary-key-" + "7" * 24
    token = make_jwt({"tid": TENANT, "oid": OBJECT, "aud": "https://cognitiveservices.azure.com"})
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_canary.py").write_text(CANARY_SUITE)
    with StandIn(api_key=key, tokens=(token,)) as standin:
        env = clean_env(
            AZURE_OPENAI_ENDPOINT=standin.base_url, AZURE_OPENAI_API_KEY=key, AZURE_OPENAI_AD_TOKEN=token
        )
        hostport = standin.base_url.split("/")[2]
        r = run_pytest(
            CHAT,
            str(suites / "test_canary.py"),
            "-q",
            "--mode",
            "record",
            "--target",
            "endpoint",
            "--cassettes-dir",
            str(tmp_path / "cassettes"),
            "--reports-dir",
            str(tmp_path / "reports"),
            env=env,
        )
    assert r.code == 1, r.out[-3000:]  # only the canary fails
    written = [p for p in (tmp_path / "cassettes").rglob("*") if p.is_file()]
    written += [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" and "cassettes" in p.parts for p in written)
    evidence = results(tmp_path / "reports")
    assert any(c["evidence"] for c in evidence["cases"] if c["status"] == "fail")
    for path in written:
        text = path.read_text(errors="replace")
        for secret in (key, token, TENANT, OBJECT, hostport):
            assert secret not in text, f"{secret[:12]}... leaked into {path}"
    for secret in (key, token):
        assert secret not in r.out


def test_live_run_against_any_v1_url_from_the_environment_alone(tmp_path):
    with StandIn(api_key="env-only-key", tokens=("env-only-token",)) as standin:
        env = clean_env(
            AZURE_OPENAI_ENDPOINT=standin.base_url,
            AZURE_OPENAI_API_KEY="env-only-key",
            AZURE_OPENAI_AD_TOKEN="env-only-token",
            AOAI_CONFORMANCE_MODE="live",
            AOAI_CONFORMANCE_REPORTS_DIR=str(tmp_path),
        )
        r = cli_run("run", "test_chat.py", env=env)
    assert r.code == 0, r.out[-3000:]
    cases = results(tmp_path)["cases"]
    assert {c["params"]["target"] for c in cases} == {"endpoint"}
    assert {c["params"]["auth"] for c in cases if c["status"] == "pass"} == {"entra", "key", "env"}


def test_profile_openai_marks_azure_only_promises_not_applicable(tmp_path):
    with StandIn(api_key="k-openai-profile", tokens=("t",)) as standin:
        env = clean_env(AZURE_OPENAI_ENDPOINT=standin.base_url, AZURE_OPENAI_API_KEY="k-openai-profile")
        r = run_pytest(
            CHAT,
            "-q",
            "-k",
            "prompt_filter_results",
            "--mode",
            "live",
            "--profile",
            "openai",
            "--auth",
            "key",
            "--reports-dir",
            str(tmp_path),
            env=env,
        )
    assert r.code == 0, r.out[-3000:]
    (case,) = results(tmp_path)["cases"]
    assert case["status"] == "not-applicable" and "Azure-only" in case["reason"]


def test_cli_exit_codes_0_all_as_expected_1_conformance_failure(cassette_copy, tmp_path):
    ok = cli_run(
        "run", "test_chat.py", "-k", "test_chat_completion and key", "--reports-dir", str(tmp_path / "a")
    )
    assert ok.code == 0, ok.out[-2000:]
    path = cassette_copy / "standin" / "chat" / "test_chat_completion.json"
    data = json.loads(path.read_text())
    body = json.loads(data["interactions"][0]["response"]["body"]["string"])
    body["object"] = "chat.completions"  # a one-letter deviation the schema and invariants must catch
    data["interactions"][0]["response"]["body"]["string"] = json.dumps(body)
    path.write_text(json.dumps(data))
    bad = cli_run(
        "run",
        "test_chat.py",
        "-k",
        "test_chat_completion and key",
        "--cassettes-dir",
        str(cassette_copy),
        "--reports-dir",
        str(tmp_path / "b"),
    )
    assert bad.code == 1, bad.out[-2000:]
    assert "$.object" in bad.out or "chat.object" in bad.out


def test_reports_named_in_the_last_lines(tmp_path):
    r = cli_run("run", "test_chat.py", "-k", "key-sync", "--reports-dir", str(tmp_path))
    tail = "\n".join(r.lines[-8:])
    for name in ("compat.html", "compat.md", "junit.xml", "results.json"):
        assert name in tail and (tmp_path / name).is_file()


@pytest.mark.skipif(not (REPO / "pyproject.toml").is_file(), reason="needs the source tree")
def test_built_wheel_carries_suites_cassettes_and_schemas(tmp_path):
    """pip install of the wheel and `aoai-conformance run` work outside this repo."""
    wheel_dir, site = tmp_path / "wheel", tmp_path / "site"
    r = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPO)],
        timeout=300,
    )
    if r.code != 0 and "hatchling" in r.out:
        pytest.skip("hatchling (the build backend) cannot be installed here: " + r.lines[-1])
    assert r.code == 0, r.out[-2000:]
    (wheel,) = wheel_dir.glob("*.whl")
    r = run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)])
    assert r.code == 0, r.out[-2000:]
    for part in ("suites", "cassettes", "schemas"):
        assert (site / "aoai_conformance" / "_bundled" / part).is_dir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = clean_env(PYTHONPATH=str(site))
    r = run(
        [sys.executable, "-m", "aoai_conformance.cli", "run", "test_chat.py", "-k", "key-sync"],
        cwd=outside,
        env=env,
    )
    assert r.code == 0, r.out[-3000:]
    assert str(site) in r.out or (outside / "reports" / "results.json").is_file()


def test_cli_unknown_option_and_missing_command_are_one_line_exit_2():
    for args in (["run", "--bogus"], [], ["report", str(REPO / "no-such-results.json")]):
        r = cli_run(*args)
        assert r.code == 2 and len(r.lines) == 1 and r.out.startswith("aoai-conformance: "), r.out
        no_traceback(r.out)


def test_cli_standin_passes_its_own_options_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "aoai_conformance.cli", "standin", "--port", "0", "--api-key", "cli-key"],
        cwd=REPO,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("aoai-conformance stand-in listening on http://127.0.0.1:"), line
        import openai

        client = openai.OpenAI(base_url=line.split()[-1], api_key="cli-key", max_retries=0)
        assert client.models.list().data
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in proc.stderr.read()


def test_plugin_stays_light_for_sessions_that_run_no_conformance_test():
    """pytest loads the plugin in every session where the package is installed: the SDK, vcrpy and
    azure-identity (over a second of imports) wait until a conformance test needs them."""
    code = (
        "import sys, aoai_conformance.plugin; "
        "print(sorted(m for m in ('openai', 'vcr', 'azure.identity', 'httpx2', 'httpx') if m in sys.modules))"
    )
    r = run([sys.executable, "-c", code])
    assert r.code == 0 and r.out.strip() == "[]", r.out
