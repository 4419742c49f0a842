"""`aoai-conformance check`: every layer fails on a recording that breaks it and passes a real good one;
reports like a run; bad input is one line; secrets never reach a report; nothing but reports is written."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from aoai_conformance import cli, report

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def corpus_entry(file: str, index: int) -> dict:
    return copy.deepcopy(json.loads((CORPUS / file).read_text())["log"]["entries"][index])


# Real answers, each with full response headers: Azure v1 chat, chat stream and a 400 (mirascope's cassettes).
AZURE_CHAT = ("mirascope-mirascope.har", 0)
AZURE_STREAM = ("mirascope-mirascope.har", 1)


def write_har(path: Path, entries: list[dict]) -> Path:
    path.write_text(
        json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}})
    )
    return path


def run_check(tmp_path: Path, *paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict | None]:
    reports = tmp_path / "reports"
    code = cli.main(["check", *map(str, paths), "--reports-dir", str(reports), "-q", *extra])
    results = reports / "results.json"
    return code, json.loads(results.read_text()) if results.exists() else None


def body(entry: dict) -> dict:
    return json.loads(entry["response"]["content"]["text"])


def set_body(entry: dict, value: dict) -> dict:
    entry["response"]["content"]["text"] = json.dumps(value)
    return entry


def header(entry: dict, name: str, value: str | None) -> dict:
    hs = [h for h in entry["response"]["headers"] if h["name"].lower() != name]
    if value is not None:
        hs.append({"name": name, "value": value})
    entry["response"]["headers"] = hs
    return entry


def test_a_real_good_answer_passes_and_the_reports_are_those_of_a_run(tmp_path):
    f = write_har(tmp_path / "good.har", [corpus_entry(*AZURE_CHAT), corpus_entry(*AZURE_STREAM)])
    code, results = run_check(tmp_path, f)
    assert code == 0
    assert [c["status"] for c in results["cases"]] == ["pass", "pass"]
    assert [c["id"] for c in results["cases"]] == [f"check::{f}#0", f"check::{f}#1"]
    assert (
        results["run"]["mode"] == "check"
        and results["cases"][1]["call"] == "chat.completions.create (stream)"
    )
    jsonschema.validate(results, json.loads(report.schema_path().read_text()))
    junit = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    assert junit.find("testsuite").get("tests") == "2" and junit.find("testsuite").get("failures") == "0"
    assert {p.name for p in (tmp_path / "reports").iterdir()} == {
        "results.json",
        "junit.xml",
        "compat.html",
        "compat.md",
    }


def _chat(mutate):
    return lambda: mutate(corpus_entry(*AZURE_CHAT))


def _usage_off(e):
    b = body(e)
    b["usage"]["total_tokens"] += 1
    return set_body(e, b)


def _no_choices(e):
    b = body(e)
    del b["choices"]
    return set_body(e, b)


def _wrong_object(e):
    b = body(e)
    b["object"] = "chat.completions"
    return set_body(e, b)


def _stream_without_done(e):
    text = e["response"]["content"]["text"]
    e["response"]["content"]["text"] = text[: text.rindex("data: [DONE]")]
    return e


# One broken recording per layer: the check names the promise it breaks.
BROKEN = [
    ("wire: content type", _chat(lambda e: header(e, "content-type", "text/html")), "http.content-type"),
    ("wire: Azure header", _chat(lambda e: header(e, "apim-request-id", None)), "http.azure-headers"),
    ("schema", _chat(_no_choices), "schema.compatible"),
    ("invariant: object", _chat(_wrong_object), "schema.compatible"),
    ("invariant: usage sum", _chat(_usage_off), "chat.usage.sum"),
    ("sdk: request id", _chat(lambda e: header(e, "x-request-id", None)), "sdk.request-id"),
    (
        "stream: done marker",
        lambda: _stream_without_done(corpus_entry(*AZURE_STREAM)),
        "chat.stream.done-marker",
    ),
]


@pytest.mark.parametrize("what, make, promise", BROKEN, ids=[b[0] for b in BROKEN])
def test_every_layer_fails_a_recording_that_breaks_it(tmp_path, what, make, promise):
    f = write_har(tmp_path / "broken.har", [make()])
    code, results = run_check(tmp_path, f, extra=("--findings", "none"))
    (case,) = results["cases"]
    assert code == 1 and case["status"] == "fail", case
    assert case["failure"]["promise"] == promise
    assert case["evidence"]["response"]["status"] == 200


def test_bad_input_is_one_line_each_and_the_other_files_are_still_checked(tmp_path, capsys):
    good = write_har(tmp_path / "good.har", [corpus_entry(*AZURE_CHAT)])
    (tmp_path / "broken.har").write_text('{"log": {"entries": [{"request": ')
    (tmp_path / "notes.yaml").write_text("interactions: [oops")
    code, results = run_check(tmp_path, tmp_path)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 2 and all(line.startswith("aoai-conformance: ") for line in err)
    assert any("broken.har#0: invalid or truncated JSON" in line for line in err)
    assert any("notes.yaml: is not valid YAML" in line for line in err)
    assert "Traceback" not in "".join(err)
    statuses = {c["id"]: c["status"] for c in results["cases"]}
    assert statuses[f"check::{good}#0"] == "pass"


def test_a_stream_cut_inside_an_event_is_bad_input_not_a_verdict(tmp_path, capsys):
    cut = corpus_entry(*AZURE_STREAM)
    text = cut["response"]["content"]["text"]
    cut["response"]["content"]["text"] = text[: text.index("data: ", 200) + 40]  # inside the second event
    f = write_har(tmp_path / "cut.har", [corpus_entry(*AZURE_CHAT), cut])
    code, results = run_check(tmp_path, f)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        f"aoai-conformance: {f}#1: the stream is cut inside an event (after 1 complete "
        "events): a truncated recording; record it again"
    ]
    assert [c["status"] for c in results["cases"]] == ["pass", "skipped"]


def test_nothing_but_the_reports_is_written(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_har(src / "a.har", [corpus_entry(*AZURE_CHAT)])
    before = {p: p.read_bytes() for p in src.rglob("*")}
    run_check(tmp_path, src)
    assert {p: p.read_bytes() for p in src.rglob("*")} == before
    assert {p.name for p in tmp_path.iterdir()} == {"in", "reports"}


def test_a_bad_findings_file_is_one_line_and_leaves_the_last_reports_alone(tmp_path, capsys):
    f = write_har(tmp_path / "a.har", [corpus_entry(*AZURE_CHAT)])
    assert run_check(tmp_path, f)[0] == 0
    good = (tmp_path / "reports" / "results.json").read_bytes()
    bad = tmp_path / "findings.toml"
    bad.write_text('[[finding]]\nid = "x"\n')
    code, _ = run_check(tmp_path, f, extra=("--findings", str(bad)))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "missing promise, what, evidence" in err
    assert (tmp_path / "reports" / "results.json").read_bytes() == good


def test_secrets_in_a_recording_never_reach_a_report(tmp_path):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOiJ0ZW5hbnQtc2VjcmV0LTEyMyJ9.c2lnbmF0dXJlLXNlY3JldA"
    key = "0123456789abcdef0123456789abcdef"
    e = _no_choices(corpus_entry(*AZURE_CHAT))  # fails, so the evidence (request and response) is written
    e["request"]["url"] = "https://contoso-secret-name.openai.azure.com/openai/v1/chat/completions"
    e["request"]["headers"] += [
        {"name": "Authorization", "value": f"Bearer {jwt}"},
        {"name": "api-key", "value": key},
        {"name": "Cookie", "value": "session=s3cr3t"},
    ]
    e["request"]["postData"]["text"] = json.dumps({"model": "gpt-5-mini", "user": key, "messages": []})
    f = write_har(tmp_path / "leaky.har", [e])
    code, results = run_check(tmp_path, f, extra=("--findings", "none"))
    assert code == 1 and results["cases"][0]["evidence"]["request"]["url"].endswith(
        "/openai/v1/chat/completions"
    )
    for report_file in (tmp_path / "reports").iterdir():
        text = report_file.read_text()
        for secret in (jwt, key, "contoso-secret-name", "s3cr3t"):
            assert secret not in text, (secret, report_file.name)


def test_other_calls_are_listed_as_not_checked(tmp_path):
    e = corpus_entry(*AZURE_CHAT)
    e["request"]["method"], e["request"]["url"] = "GET", "https://contoso.openai.azure.com/openai/v1/models"
    f = write_har(tmp_path / "models.har", [e])
    code, results = run_check(tmp_path, f)
    (case,) = results["cases"]
    assert (
        code == 0
        and case["status"] == "skipped"
        and case["reason"].startswith("not checked: GET /openai/v1/models")
    )


def test_what_a_recording_did_not_keep_is_not_recorded_not_failed(tmp_path):
    e = corpus_entry(*AZURE_CHAT)
    e["response"]["headers"] = []
    del e["request"]["postData"]
    f = write_har(tmp_path / "bodies.har", [e])
    code, results = run_check(tmp_path, f)
    (case,) = results["cases"]
    assert code == 0 and case["status"] == "pass"
    said = " ".join(n["message"] for n in case["notes"] if n["kind"] == "not-recorded")
    for part in ("content-type", "apim-request-id", "request-id headers", "credential", "request body"):
        assert part in said


def test_the_profile_follows_the_host_unless_named(tmp_path):
    e = header(corpus_entry(*AZURE_CHAT), "apim-request-id", None)
    e["request"]["url"] = "https://api.openai.com/v1/chat/completions"
    f = write_har(tmp_path / "oai.har", [e])
    code, results = run_check(tmp_path, f)
    assert results["cases"][0]["recording"]["profile"] == "openai" and code == 0
    code, results = run_check(tmp_path, f, extra=("--profile", "azure"))
    assert code == 1 and results["cases"][0]["failure"]["promise"] == "http.azure-headers"


def test_a_listed_finding_is_reported_as_such_and_only_where_it_applies(tmp_path):
    findings = tmp_path / "findings.toml"
    findings.write_text(
        '[[finding]]\nid = "no-choices"\npromise = "schema.compatible"\nservice = "azure"\n'
        'api = "azure-v1"\nwhat = "the server drops choices"\nevidence = ["a test"]\n'
    )
    f = write_har(tmp_path / "a.har", [_no_choices(corpus_entry(*AZURE_CHAT))])
    code, results = run_check(tmp_path, f, extra=("--findings", str(findings)))
    (case,) = results["cases"]
    assert code == 0 and case["status"] == "expected-fail" and case["findings"] == ["no-choices"]
    assert "the server drops choices" in case["reason"]
    code, results = run_check(tmp_path, f, extra=("--findings", str(findings), "--profile", "openai"))
    assert code == 1 and results["cases"][0]["status"] == "fail"


def test_a_strict_finding_is_shown_on_a_passing_case_and_never_fails_it(tmp_path):
    """Azure v1 chat sends system_fingerprint: null: compatible accepts it (verdict rule), strict notes it."""
    findings = tmp_path / "findings.toml"
    findings.write_text(
        '[[finding]]\nid = "fp-null"\npromise = "schema.strict"\npath = "$.system_fingerprint"\n'
        'what = "system_fingerprint is null"\nevidence = ["a test"]\n'
    )
    f = write_har(tmp_path / "a.har", [corpus_entry(*AZURE_CHAT)])
    code, results = run_check(tmp_path, f, extra=("--findings", str(findings)))
    (case,) = results["cases"]
    assert code == 0 and case["status"] == "pass" and case["findings"] == ["fp-null"]
    assert any(n.get("finding") == "fp-null" and n["kind"] == "spec-deviation" for n in case["notes"])


def test_this_projects_own_cassettes_pass_and_their_fault_entries_are_not_judged(tmp_path):
    code, results = run_check(tmp_path, Path(__file__).resolve().parent.parent / "cassettes")
    faults = [
        c
        for c in results["cases"]
        if (c.get("reason") or "").startswith("not checked: a recorded connection")
    ]
    assert code == 0 and len(faults) == 3
    assert {c["status"] for c in results["cases"]} <= {"pass", "skipped", "doc-sdk-difference"}


def test_openais_known_deviations_excuse_no_other_openai_compatible_server(tmp_path):
    """The same old Responses stream (no sequence_number: a listed OpenAI finding) from api.openai.com is that
    finding; served by another host (a mock, a proxy) it is a failure of that server."""
    real = corpus_entry("pydantic-pydantic-ai.har", 12)
    other = copy.deepcopy(real)
    other["request"]["url"] = "http://127.0.0.1:8080/v1/responses"
    f = write_har(tmp_path / "a.har", [real, other])
    code, results = run_check(tmp_path, f)
    assert code == 1
    assert [(c["status"], c.get("findings")) for c in results["cases"]] == [
        ("expected-fail", ["openai-responses-stream-without-sequence-number"]),
        ("fail", None),
    ]


def test_an_unknown_host_is_one_line_per_file_and_its_requests_are_listed_not_judged(tmp_path, capsys):
    e = corpus_entry(*AZURE_CHAT)
    e["request"]["url"] = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"
    f = write_har(tmp_path / "browser.har", [e, copy.deepcopy(e), corpus_entry(*AZURE_CHAT)])
    code, results = run_check(tmp_path, f)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"aoai-conformance: {f}#0: host login.microsoftonline.com serves no Azure OpenAI or OpenAI API "
        "path: its requests are listed as not checked"
    ]
    assert code == 0 and [c["status"] for c in results["cases"]] == ["skipped", "skipped", "pass"]


def test_output_piped_into_a_reader_that_leaves_early_is_no_traceback(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m aoai_conformance.cli check {CORPUS} --findings none --reports-dir {tmp_path} | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.startswith("FAIL ") and "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "results.json").is_file()
