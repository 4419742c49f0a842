"""The report renderer: results.json -> compat.html / compat.md, the run-to-run diff, load() errors, schema."""

from __future__ import annotations

import copy
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from aoai_conformance import report
from aoai_conformance.report import ReportInputError, cell_status, diff, load, render

REPO = Path(__file__).resolve().parents[1]


def make_case(
    test: str = "test_chat_completion",
    *,
    call: str = "chat.completions.create",
    section: str = "Chat / chat.completions.create()",
    auth: str = "key",
    client: str = "sync",
    target: str = "replay",
    status: str = "pass",
    reason: str | None = None,
    failure: dict | None = None,
    notes: list | None = None,
    sdk_version: str = "3.54.0",
    evidence: dict | None = None,
) -> dict:
    cid = f"suites/test_x.py::{test}[{auth}-{client}-{target}]"
    if failure is not None:
        failure = {
            "promise": "chat.stream.done-marker",
            "detail": "the stream did not end with [DONE]",
            "path": "$.choices[0]",
            "expected": "'[DONE]'",
            "received": "'{\"id\": 1}'",
            "message": "[chat.stream.done-marker] the stream did not end with [DONE]",
            **failure,
        }
        if evidence is None:
            evidence = {
                "request": {
                    "method": "POST",
                    "url": "https://RESOURCE.openai.azure.com/openai/v1/chat/completions",
                    "headers": {"api-key": "<scrubbed>"},
                    "body": '{"model": "gpt-4o"}',
                },
                "response": {
                    "status": 200,
                    "headers": {"content-type": "text/event-stream"},
                    "body": 'data: {"id": 1}\n\n',
                },
            }
    return {
        "id": cid,
        "call": call,
        "section": section,
        "doc": "000_618f909ca6807cc5.txt",
        "test": test,
        "title": f"{test.replace('_', ' ')} keeps its promise",
        "params": {"auth": auth, "client": client, "target": target},
        "sdk_version": sdk_version,
        "status": status,
        "reason": reason,
        "duration": 0.012,
        "failure": failure,
        "evidence": evidence,
        "notes": notes or [],
        "models": ["gpt-4o-2024-08-06"],
        "usage": {"prompt": 22, "completion": 24, "total": 46},
        "rerun": f"aoai-conformance run --mode replay -k '{test} and {auth} and {client}'",
    }


def make_results(
    cases: list[dict], *, started: str = "2026-11-22T01:00:00Z", models: dict | None = None
) -> dict:
    return {
        "format": "aoai-conformance/results",
        "version": 1,
        "run": {
            "started": started,
            "finished": started.replace("01:00:00", "01:02:00"),
            "mode": "replay",
            "suite_version": "0.1.0",
            "sdk_version": "3.54.0",
            "python": "3.11.7",
            "command": "aoai-conformance run --mode replay",
            "targets": [
                {
                    "name": "replay",
                    "kind": "cassettes",
                    "host": "RESOURCE.openai.azure.com",
                    "profile": "azure",
                    "region": "Sweden Central",
                    "deployments": {"chat": "gpt-4o", "embeddings": "text-embedding-3-small"},
                }
            ],
            "models_seen": models if models is not None else {"gpt-4o": ["gpt-4o-2024-08-06"]},
            "tokens": {
                "total": 123,
                "by_call": {"chat.completions.create": {"prompt": 22, "completion": 24, "total": 46}},
            },
            "expectations_file": "expectations.toml",
        },
        "cases": cases,
    }


def failing_case(**kw) -> dict:
    return make_case(status="fail", failure={}, **kw)


def rendered(tmp_path: Path, results: dict, previous: dict | None = None) -> tuple[str, str]:
    paths = render(results, tmp_path / "out", previous=previous)
    return paths["html"].read_text("utf-8"), paths["md"].read_text("utf-8")


def sample() -> dict:
    return make_results(
        [
            make_case(),
            make_case(client="async"),
            failing_case(test="test_chat_stream", call="chat.completions.create(stream=True)"),
            make_case(
                test="test_embeddings",
                call="embeddings.create",
                section="Embeddings / embeddings.create()",
                status="expected-fail",
                reason="docs: dimensions is not supported on ada-002",
            ),
            make_case(
                test="test_retry",
                call="client retries",
                section="SDK / retries",
                status="doc-sdk-difference",
                reason="the SDK also retries 409",
                notes=[
                    {
                        "kind": "doc-sdk-difference",
                        "message": "the SDK also retries 409; the docs list 408, 429, >=500",
                    }
                ],
            ),
            make_case(test="test_entra_only", auth="entra", status="not-applicable", reason="profile openai"),
            make_case(
                test="test_images",
                call="images.generate",
                section="Images / images.generate()",
                status="skipped",
                reason="throttled: 429 after retries",
            ),
            make_case(
                test="test_files",
                call="files.create",
                section="Files / files.create()",
                status="unexpected-pass",
                reason="docs say purpose=batch is rejected",
            ),
            make_case(
                test="test_models",
                call="models.list",
                section="Models / models.list()",
                status="error",
                failure={
                    "promise": "",
                    "detail": "KeyError: 'data'",
                    "path": None,
                    "expected": None,
                    "received": None,
                    "message": "KeyError: 'data'",
                },
            ),
            make_case(
                test="test_chat_fields",
                notes=[
                    {
                        "kind": "drift",
                        "message": "unknown field",
                        "path": "$.choices[0].content_filter_results",
                    },
                    {
                        "kind": "spec-deviation",
                        "message": "strict: additional property",
                        "path": "$.prompt_filter_results",
                    },
                ],
            ),
        ]
    )


# ------------------------------------------------------------------------------------------------ cell_status


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass", "pass"], "pass"),
        (["pass", "fail"], "fail"),
        (["pass", "error"], "fail"),
        (["unexpected-pass", "fail"], "fail"),
        (["expected-fail", "unexpected-pass"], "unexpected-pass"),
        (["pass", "expected-fail"], "expected-fail"),
        (["pass", "doc-sdk-difference"], "doc-sdk-difference"),
        (["pass", "skipped"], "pass"),
        (["skipped", "not-applicable"], "skipped"),
        (["not-applicable"], "not-applicable"),
        ([], "not-run"),
        (["bogus"], "fail"),
    ],
)
def test_cell_status_combines_cases(statuses, expected):
    assert cell_status([{"status": s} for s in statuses]) == expected


# ---------------------------------------------------------------------------------------------------- render


def test_render_writes_both_files_and_returns_paths(tmp_path):
    paths = render(sample(), tmp_path / "new" / "dir")
    assert set(paths) == {"html", "md"}
    assert paths["html"].name == "compat.html" and paths["md"].name == "compat.md"
    assert paths["html"].is_file() and paths["md"].is_file()
    assert not [p for p in paths["html"].parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_every_status_renders_with_symbol_and_label(tmp_path):
    page, md = rendered(tmp_path, sample())
    table = page[page.index('id="matrix-table"') : page.index("</table>", page.index('id="matrix-table"'))]
    for status in (
        "pass",
        "fail",
        "expected-fail",
        "unexpected-pass",
        "skipped",
        "not-applicable",
        "doc-sdk-difference",
    ):
        sym, label, _ = report.STATUS_INFO[status]
        assert f'<td class="st-{status}">' in table, status
        assert (
            f'<span class="sym" aria-hidden="true">{sym}</span><span class="lbl">{html.escape(label)}</span>'
            in table
        ), status
        assert f"{sym} {label}".replace("/", "/") in md.replace("\\", ""), status
    # the symbols are distinct, so the matrix never relies on colour alone
    symbols = [v[0] for v in report.STATUS_INFO.values()]
    assert len(symbols) == len(set(symbols))
    # skipped and not-applicable cells say why
    assert "throttled: 429 after retries" in table
    assert "profile openai" in table


def test_summary_line_counts_statuses_without_previous(tmp_path):
    page, md = rendered(tmp_path, sample())
    assert "Changes since the previous run" not in page
    assert "10 cases:" in page
    for text in ("3 ✓ pass", "1 ✗ fail", "1 ⚠ error", "1 ‼ unexpected pass", "1 ↷ skipped"):
        assert text in md, text


def test_failing_case_shows_evidence_and_cell_links_to_it(tmp_path):
    results = sample()
    page, md = rendered(tmp_path, results)
    failing = results["cases"][2]
    anchor = re.search(r'<td class="st-fail"><a class="cell" title="[^"]*" href="#(ev-[0-9a-f]+)">', page)
    assert anchor, "the failing cell is a link"
    target = anchor.group(1)
    start = page.index(f'id="{target}"')
    block = page[start : page.index("</article>", start)]
    assert html.escape(failing["id"]) in block
    assert "chat.stream.done-marker" in block
    assert "$.choices[0]" in block
    assert html.escape("'[DONE]'") in block and html.escape("'{\"id\": 1}'") in block
    assert html.escape(failing["rerun"]) in block
    assert "Chat / chat.completions.create()" in block and "000_618f909ca6807cc5.txt" in block
    assert "POST https://RESOURCE.openai.azure.com/openai/v1/chat/completions" in block
    assert "api-key: &lt;scrubbed&gt;" in block and "HTTP 200" in block
    # Markdown: the cell links to an anchor that exists, the evidence names promise, path and rerun
    md_anchor = re.search(r"\[✗ fail\]\(#(ev-[0-9a-f]+)\)", md)
    assert md_anchor and md_anchor.group(1) == target and f'<a id="{target}"></a>' in md
    assert "`chat.stream.done-marker`" in md and "`$.choices[0]`" in md and f"`{failing['rerun']}`" in md


def test_error_and_unexpected_pass_have_evidence_too(tmp_path):
    page, _ = rendered(tmp_path, sample())
    evidence = page[page.index('<section id="evidence">') : page.index('<section id="drift">')]
    assert evidence.count("<article") == 3
    assert "KeyError: &#x27;data&#x27;" in evidence
    # failures before errors before unexpected passes
    assert evidence.index("st-fail") < evidence.index("st-error") < evidence.index("st-unexpected-pass")


def test_unexpected_pass_is_shouted(tmp_path):
    page, md = rendered(tmp_path, sample())
    assert page.count("documentation may be out of date") >= 2  # banner at the top and in the evidence
    assert page.index("documentation may be out of date") < page.index('id="matrix"')
    assert "documentation may be out of date" in md
    assert "docs say purpose=batch is rejected" in page


def test_header_states_target_models_versions_and_tokens(tmp_path):
    page, md = rendered(tmp_path, sample())
    for text in (
        "RESOURCE.openai.azure.com",
        "Sweden Central",
        "gpt-4o-2024-08-06",
        "text-embedding-3-small",
        "3.54.0",
        "0.1.0",
        "replay",
        "2026-11-22T01:00:00Z",
        "123",
        "expectations.toml",
    ):
        assert text in page, text
        assert text in md.replace("\\", ""), text
    tokens = page[page.index("<th>Call</th><th>prompt</th>") :]
    assert "<td><code>chat.completions.create</code></td><td>22</td><td>24</td><td>46</td>" in tokens


def test_matrix_rows_grouped_by_section_and_columns_by_auth_and_target(tmp_path):
    page, md = rendered(tmp_path, sample())
    table = page[page.index('id="matrix-table"') :]
    table = table[: table.index("</table>")]
    groups = re.findall(r'<tr class="group"><th colspan="\d+" scope="colgroup">([^<]+)</th>', table)
    assert groups == ["Chat", "Embeddings", "Files", "Images", "Models", "SDK"]
    headers = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert headers[1:] == [
        "<span>auth: entra</span><span>target: replay</span>",
        "<span>auth: key</span><span>target: replay</span>",
    ]
    # sync + async of one call fold into one cell; the row appears once
    assert table.count("<code>chat.completions.create</code></th>") == 1
    assert "| Call | auth: entra · target: replay | auth: key · target: replay |" in md


def test_mixed_cell_lists_who_did_what(tmp_path):
    results = make_results([make_case(), failing_case(client="async")])
    page, md = rendered(tmp_path, results)
    assert '<td class="st-fail">' in page
    assert "sync ✓\u00a0pass · async ✗\u00a0fail" in page
    assert "sync ✓ pass · async ✗ fail" in md


def test_several_sdk_versions_become_columns(tmp_path):
    results = make_results([make_case(), make_case(sdk_version="3.60.0", test="test_chat_completion_new")])
    page, _ = rendered(tmp_path, results)
    assert "<span>SDK 3.54.0</span>" in page and "<span>SDK 3.60.0</span>" in page


def test_drift_and_doc_sdk_sections(tmp_path):
    page, md = rendered(tmp_path, sample())
    drift = page[page.index('<section id="drift">') : page.index('<section id="doc-sdk">')]
    assert "$.choices[0].content_filter_results" in drift and "$.prompt_filter_results" in drift
    assert "spec-deviation" in drift and "2026-11-22T01:00:00Z" in drift  # first seen = this run
    docsdk = page[page.index('<section id="doc-sdk">') :]
    assert "the SDK also retries 409; the docs list 408, 429, &gt;=500" in docsdk
    assert "the SDK also retries 409; the docs list 408, 429, \\>=500" in md
    # the doc/SDK cell jumps to its section
    assert '<td class="st-doc-sdk-difference"><a class="cell"' in page and 'href="#doc-sdk"' in page


# ------------------------------------------------------------------------------------------------------- diff


def test_diff_lists_new_failure_before_fixes(tmp_path):
    previous = make_results(
        [make_case(), failing_case(test="test_was_broken", call="responses.create", section="Responses / x")],
        started="2026-11-21T01:00:00Z",
    )
    current = make_results(
        [failing_case(), make_case(test="test_was_broken", call="responses.create", section="Responses / x")]
    )
    d = diff(previous, current)
    assert [f["id"] for f in d.new_failures] == [current["cases"][0]["id"]]
    assert (
        d.new_failures[0]["previous"] == "pass" and d.new_failures[0]["promise"] == "chat.stream.done-marker"
    )
    assert [f["id"] for f in d.fixed] == [current["cases"][1]["id"]]
    assert not d.new_cases and not d.removed_cases and not d.empty

    page, md = rendered(tmp_path, current, previous)
    changes = page.index('<section id="changes">')
    assert changes < page.index('<section id="run">') < page.index('<section id="matrix">')
    assert page.index("New failures (1)") < page.index("Fixed (1)")
    new_block = page[page.index("New failures (1)") : page.index("Fixed (1)")]
    assert "chat.completions.create" in new_block and "was pass" in new_block
    assert f'href="#{report._model.anchor("ev", current["cases"][0]["id"])}"' in new_block
    assert "compared with the run of 2026-11-21T01:00:00Z" in page
    assert md.index("## Changes since the previous run") < md.index("## Compatibility matrix")
    assert md.index("### New failures (1)") < md.index("### Fixed (1)")


def test_diff_new_drift_changed_models_and_case_sets():
    drift_a = {"kind": "drift", "message": "unknown field", "path": "$.a"}
    drift_b = {"kind": "drift", "message": "unknown field", "path": "$.b"}
    previous = make_results(
        [make_case(notes=[drift_a]), make_case(test="test_gone")],
        models={"gpt-4o": ["gpt-4o-2024-05-13"], "o1": ["o1-2024-12-17"]},
    )
    current = make_results(
        [make_case(notes=[drift_a, drift_b]), make_case(test="test_new", status="skipped")],
        models={"gpt-4o": ["gpt-4o-2024-08-06"], "o1": ["o1-2024-12-17"]},
    )
    d = diff(previous, current)
    assert d.new_drift == [
        {
            "kind": "drift",
            "call": "chat.completions.create",
            "path": "$.b",
            "message": "unknown field",
            "cases": [current["cases"][0]["id"]],
        }
    ]
    assert d.changed_models == [
        {"model": "gpt-4o", "previous": ["gpt-4o-2024-05-13"], "current": ["gpt-4o-2024-08-06"]}
    ]
    assert [c["id"] for c in d.new_cases] == [current["cases"][1]["id"]]
    assert [c["id"] for c in d.removed_cases] == [previous["cases"][1]["id"]]
    assert not d.new_failures and not d.fixed
    assert json.loads(json.dumps(d.as_dict()))["changed_models"][0]["model"] == "gpt-4o"


def test_report_lists_new_drift_and_changed_models(tmp_path):
    previous = make_results(
        [make_case()], started="2026-11-21T01:00:00Z", models={"gpt-4o": ["gpt-4o-2024-05-13"]}
    )
    current = make_results(
        [make_case(notes=[{"kind": "drift", "message": "unknown field", "path": "$.obfuscation"}])]
    )
    page, md = rendered(tmp_path, current, previous)
    changes = page[page.index('<section id="changes">') : page.index('<section id="run">')]
    assert "New drift (1)" in changes and "$.obfuscation" in changes
    assert "Changed model versions (1)" in changes
    assert "gpt-4o-2024-05-13 \u2192 gpt-4o-2024-08-06" in changes
    assert "### New drift (1)" in md and "### Changed model versions (1)" in md


def test_drift_first_seen_comes_from_the_previous_run(tmp_path):
    note = {"kind": "drift", "message": "unknown field", "path": "$.x"}
    previous = make_results([make_case(notes=[note])], started="2026-11-20T01:00:00Z")
    current = make_results([make_case(notes=[note])])
    page, _ = rendered(tmp_path, current, previous)
    drift = page[page.index('<section id="drift">') :]
    assert "2026-11-20T01:00:00Z" in drift and ">new<" not in drift
    assert diff(previous, current).new_drift == []


def test_skip_after_failure_is_not_fixed():
    previous = make_results([failing_case()])
    current = make_results([make_case(status="skipped", reason="throttled")])
    d = diff(previous, current)
    assert d.fixed == [] and d.new_failures == []


def test_no_changes_says_so(tmp_path):
    page, md = rendered(tmp_path, sample(), sample())
    assert "No changes: same statuses" in page and "No changes: same statuses" in md


# --------------------------------------------------------------------------------------------------- escaping


def test_html_escapes_every_untrusted_value(tmp_path):
    evil = '<script>alert("x")</script>'
    case = failing_case(
        call=f"chat{evil}",
        section=f"Chat{evil} / x",
        notes=[
            {"kind": "drift", "message": evil, "path": f"$.{evil}"},
            {"kind": "doc-sdk-difference", "message": evil},
        ],
    )
    case["failure"]["message"] = evil
    case["failure"]["detail"] = evil
    case["rerun"] = f"aoai-conformance run -k '{evil}'"
    case["evidence"]["response"]["body"] = evil
    case["params"]["auth"] = evil
    case["title"] = '" onmouseover="alert(1)'
    results = make_results([case])
    results["run"]["targets"][0]["host"] = evil
    results["run"]["models_seen"] = {evil: [evil]}
    page, md = rendered(tmp_path, results)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'onmouseover="' not in page
    # Markdown: no raw HTML tag gets through outside code
    outside_code = re.sub(r"```.*?```", "", md, flags=re.S)
    outside_code = re.sub(r"(`+).*?\1", "", outside_code)
    assert not re.search(r"(?<!\\)<script", outside_code)
    assert "\\<script\\>" in outside_code


def test_markdown_escapes_pipes_in_table_cells(tmp_path):
    case = make_case(call="a|b", status="skipped", reason="x | y")
    _, md = rendered(tmp_path, make_results([case]))
    row = next(line for line in md.splitlines() if "a\\|b" in line)
    assert row.count("|") - row.count("\\|") == 3  # the two cells of the row (call, one column) stay two
    assert "x \\| y" in row


# -------------------------------------------------------------------------------------------- determinism


def test_output_is_deterministic_whatever_the_case_order(tmp_path):
    results = sample()
    shuffled = copy.deepcopy(results)
    shuffled["cases"].reverse()
    a = render(results, tmp_path / "a")
    b = render(shuffled, tmp_path / "b")
    c = render(results, tmp_path / "c")
    for kind in ("html", "md"):
        assert a[kind].read_bytes() == b[kind].read_bytes() == c[kind].read_bytes()


def test_html_is_self_contained_and_phone_ready(tmp_path):
    page, _ = rendered(tmp_path, sample())
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    assert "overflow-x:auto" in page and "min-height:44px" in page


# ------------------------------------------------------------------------------------------------------- load


def test_load_reads_a_valid_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(sample()), "utf-8")
    assert load(path) == sample()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "results file not found"),
        (b"{not json", "invalid JSON (line 1, column 2"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps([1, 2]).encode(), "top level is a JSON array"),
        (json.dumps({"format": "junit", "version": 1}).encode(), "format is 'junit'"),
        (
            json.dumps({"format": "aoai-conformance/results", "version": 2, "run": {}, "cases": []}).encode(),
            "newer than this renderer",
        ),
        (
            json.dumps({"format": "aoai-conformance/results", "version": 1, "run": {}}).encode(),
            "'cases' is missing",
        ),
        (
            json.dumps(
                {
                    "format": "aoai-conformance/results",
                    "version": 1,
                    "run": {},
                    "cases": [{"id": "a", "status": "weird"}],
                }
            ).encode(),
            "status 'weird'",
        ),
    ],
)
def test_load_gives_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReportInputError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert expected in message
    if "newer" not in expected:
        assert "aoai-conformance run" in message  # says what to do


def test_load_on_a_directory(tmp_path):
    with pytest.raises(ReportInputError, match="is a directory"):
        load(tmp_path)


# --------------------------------------------------------------------------------------------------- schema


def test_schema_validates_a_sample_and_rejects_a_bad_status():
    schema = json.loads(report.schema_path().read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(sample())
    minimal = {
        "format": "aoai-conformance/results",
        "version": 1,
        "run": {},
        "cases": [{"id": "x", "call": "c", "status": "pass"}],
    }
    validator.validate(minimal)
    bad = sample()
    bad["cases"][0]["status"] = "passed"
    assert not validator.is_valid(bad)
    bad = sample()
    bad["format"] = "other"
    assert not validator.is_valid(bad)


def test_schema_and_renderer_agree_on_statuses():
    schema = json.loads(report.schema_path().read_text("utf-8"))
    statuses = schema["$defs"]["case"]["properties"]["status"]["enum"]
    assert tuple(statuses) == report.STATUSES


def test_format_doc_mentions_every_status_and_field():
    doc = (Path(report.__file__).parent / "RESULTS_FORMAT.md").read_text("utf-8")
    for word in report.STATUSES + ("models_seen", "tokens", "evidence", "notes", "rerun", "first_seen"):
        assert f"`{word}`" in doc, word


# ------------------------------------------------------------------------------------------------------ CLI


def test_module_cli_end_to_end(tmp_path):
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(make_results([make_case()], started="2026-11-21T01:00:00Z")), "utf-8")
    current = tmp_path / "results.json"
    current.write_text(json.dumps(sample()), "utf-8")
    out = tmp_path / "site"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aoai_conformance.report",
            str(current),
            "--out",
            str(out),
            "--compare-to",
            str(previous),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-2:] == [str(out / "compat.html"), str(out / "compat.md")]
    assert "new failures" in proc.stdout
    page = (out / "compat.html").read_text("utf-8")
    assert "Changes since the previous run" in page


def test_module_cli_defaults_to_the_results_directory(tmp_path):
    current = tmp_path / "results.json"
    current.write_text(json.dumps(sample()), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "aoai_conformance.report", str(current)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(tmp_path / "compat.md")


def test_module_cli_bad_input_exits_2_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "aoai_conformance.report", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "missing.json" in proc.stderr and "Traceback" not in proc.stderr


# --- which SDKs made the calls (--sdk) ----------------------------------------------------------------------
def test_the_lead_names_the_sdks_that_made_the_calls_not_only_openai_python():
    from aoai_conformance.report import _sdks

    python_only = {"run": {"sdk_version": "3.57.0"}, "cases": [{"id": "a"}, {"id": "b", "sdk": "python"}]}
    assert _sdks.label(python_only) == ("openai SDK", "3.57.0")
    others = {
        "run": {"sdk_version": "3.57.0"},
        "cases": [
            {"id": "c", "sdk": "node", "sdk_version": "6.49.0"},
            {"id": "a", "sdk": "python"},
            {"id": "b", "sdk": "go", "sdk_version": "v2.1.1"},
        ],
    }
    assert _sdks.label(others) == ("SDKs", "python 3.57.0, go v2.1.1, node 6.49.0")
    others["cases"].reverse()  # xdist finishes in any order: the same words
    assert _sdks.label(others) == ("SDKs", "python 3.57.0, go v2.1.1, node 6.49.0")
