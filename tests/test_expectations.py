"""expectations.toml turns listed failures into expected ones, and fails the run when one starts passing;
`--fail-on new` fails only on failures the previous run did not have."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import CASSETTES, SUITES, cli_run, run_pytest

CHAT = str(SUITES / "test_chat.py")


def results(reports: Path) -> dict:
    return json.loads((reports / "results.json").read_text())


def write(path: Path, entries: str) -> Path:
    path.write_text(entries)
    return path


def test_stale_expectation_fails_the_run_saying_docs_may_be_out_of_date(tmp_path):
    exp = write(
        tmp_path / "exp.toml",
        '[[expected_failure]]\ntest = "test_chat_completion[key-sync-*]"\n'
        'reason = "pretend the docs say this fails"\nlink = "000_618f909ca6807cc5.txt#chat"\n',
    )
    r = run_pytest(
        CHAT,
        "-q",
        "-k",
        "test_chat_completion and key-sync",
        "--expectations",
        str(exp),
        "--reports-dir",
        str(tmp_path / "r"),
    )
    assert r.code == 1
    assert "documentation may be out of date" in r.out and "remove it" in r.out
    (case,) = [
        c
        for c in results(tmp_path / "r")["cases"]
        if c["id"].endswith("test_chat_completion[key-sync-standin]")
    ]
    assert case["status"] == "unexpected-pass" and "documentation may be out of date" in case["reason"]
    html = (tmp_path / "r" / "compat.html").read_text()
    assert "documentation may be out of date" in html


def test_listed_failure_on_its_promise_is_expected_but_another_promise_still_fails(tmp_path):
    cassettes = tmp_path / "cassettes"
    shutil.copytree(CASSETTES / "standin" / "chat", cassettes / "standin" / "chat")
    path = cassettes / "standin" / "chat" / "test_chat_completion.json"
    data = json.loads(path.read_text())
    headers = data["interactions"][0]["response"]["headers"]
    headers.pop("x-request-id", None)  # breaks "Request IDs": the documented _request_id becomes None
    path.write_text(json.dumps(data))
    base = ["-q", "-k", "test_chat_completion and key-sync", "--cassettes-dir", str(cassettes)]
    right = write(
        tmp_path / "right.toml",
        '[[expected_failure]]\ntest = "test_chat_completion[*]"\n'
        'promise = "sdk.request-id"\nreason = "known: this proxy strips x-request-id"\nkind = "known-failure"\n',
    )
    r = run_pytest(CHAT, *base, "--expectations", str(right), "--reports-dir", str(tmp_path / "a"))
    assert r.code == 0, r.out[-2000:]
    (case,) = [c for c in results(tmp_path / "a")["cases"] if "test_chat_completion[" in c["id"]]
    assert case["status"] == "expected-fail" and case["failure"]["promise"] == "sdk.request-id"
    wrong = write(
        tmp_path / "wrong.toml",
        '[[expected_failure]]\ntest = "test_chat_completion[*]"\n'
        'promise = "chat.usage.sum"\nreason = "a different known problem"\n',
    )
    r = run_pytest(CHAT, *base, "--expectations", str(wrong), "--reports-dir", str(tmp_path / "b"))
    assert r.code == 1 and "sdk.request-id" in r.out


def test_bad_expectations_file_is_one_line(tmp_path):
    bad = write(tmp_path / "bad.toml", '[[expected_failure]]\nreason = "no test pattern"\n')
    r = run_pytest(CHAT, "-q", "--expectations", str(bad), "--reports-dir", str(tmp_path))
    assert r.code == 4 and "needs at least test" in r.out and "Traceback" not in r.out


def test_fail_on_new_ignores_failures_the_previous_run_had(tmp_path, cassette_copy):
    path = cassette_copy / "standin" / "chat" / "test_chat_completion.json"
    data = json.loads(path.read_text())
    body = json.loads(data["interactions"][0]["response"]["body"]["string"])
    body["usage"]["total_tokens"] += 1
    data["interactions"][0]["response"]["body"]["string"] = json.dumps(body)
    path.write_text(json.dumps(data))
    args = [
        "run",
        "test_chat.py",
        "-k",
        "test_chat_completion and key-sync",
        "--cassettes-dir",
        str(cassette_copy),
    ]
    first = cli_run(*args, "--reports-dir", str(tmp_path / "night1"))
    assert first.code == 1
    again = cli_run(
        *args,
        "--reports-dir",
        str(tmp_path / "night2"),
        "--fail-on",
        "new",
        "--compare-to",
        str(tmp_path / "night1" / "results.json"),
    )
    assert again.code == 0, again.out[-2000:]
    assert "0 new failure(s)" in again.out
    clean = cli_run(
        "run",
        "test_chat.py",
        "-k",
        "test_chat_completion and key-sync",
        "--reports-dir",
        str(tmp_path / "night0"),
    )
    assert clean.code == 0
    worse = cli_run(
        *args,
        "--reports-dir",
        str(tmp_path / "night3"),
        "--fail-on",
        "new",
        "--compare-to",
        str(tmp_path / "night0" / "results.json"),
    )
    assert worse.code == 1 and "1 new failure(s)" in worse.out
    md = (tmp_path / "night3" / "compat.md").read_text()
    new = md.index("New failures (1)")
    assert new < md.index("## Run") < md.index("Compatibility matrix"), "the report leads with what changed"
    assert "chat.usage.sum" in md[new : md.index("## Run")]


def test_fail_on_new_without_compare_to_is_a_usage_error(tmp_path):
    r = cli_run("run", "--fail-on", "new", "--reports-dir", str(tmp_path))
    assert r.code == 2 and "--fail-on new needs --compare-to" in r.out
