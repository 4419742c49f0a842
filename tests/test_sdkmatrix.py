"""The SDK matrix (python, node, go, java columns): the merge on fabricated results.json files (no venvs, no
builds, no network), the options, and one real column through a driver that is already built."""

from __future__ import annotations

import json

import pytest

from aoai_conformance import sdkmatrix


def case(test, call, status="pass", auth="key", client="sync", promise=None, message=None, reason=None):
    failure = {"promise": promise, "message": message} if (promise or message) else None
    return {
        "id": f"suites/test_x.py::{test}[{auth}-{client}-standin]",
        "test": test,
        "call": call,
        "title": test.replace("_", " "),
        "status": status,
        "failure": failure,
        "reason": reason,
        "params": {"auth": auth, "client": client, "target": "standin"},
    }


def results(version, *cases):
    return {
        "format": "aoai-conformance/results",
        "version": 1,
        "run": {"sdk_version": version},
        "cases": list(cases),
    }


NOT_IN = "not in this SDK: openai 1.55.3 has no client.responses"


@pytest.fixture
def matrix():
    old = results(
        "1.55.3",
        case("test_chat", "chat.completions.create"),
        case(
            "test_chat",
            "chat.completions.create",
            auth="entra",
            status="fail",
            promise="auth.credential-sent",
            message="[auth.credential-sent] attempt 1 did not send the token",
        ),
        case("test_responses", "responses.create", status="skipped", reason=NOT_IN),
        case(
            "test_parse",
            "chat.completions.create",
            status="fail",
            promise="sdk.parse",
            message="[sdk.parse] did not parse into ChatCompletion",
        ),
        case(
            "test_cap",
            "retries (retry-after above 120 s)",
            status="fail",
            promise="retries.not-retried",
            message="made 2 attempt(s)",
        ),
        case(
            "test_err",
            "error code 400",
            status="fail",
            promise="errors.response",
            message="e.response is not the HTTP response",
        ),
        case(
            "test_body",
            "embeddings.create",
            status="fail",
            message="Failed: no recorded interaction in x.json matches POST /openai/v1/embeddings",
        ),
    )
    new = results(
        "3.54.0",
        case("test_chat", "chat.completions.create"),
        case("test_chat", "chat.completions.create", auth="entra"),
        case("test_responses", "responses.create"),
        case("test_parse", "chat.completions.create"),
        case(
            "test_cap",
            "retries (retry-after above 120 s)",
            status="doc-sdk-difference",
            reason="the SDK caps retry-after at 60 s",
        ),
        case("test_err", "error code 400"),
        case("test_body", "embeddings.create"),
    )
    return sdkmatrix.merge({"3.54.0": new, "1.55.3": old})


def row(matrix, test):
    return next(r for r in matrix["rows"] if r["test"] == test)


def test_columns_are_versions_in_version_order(matrix):
    assert matrix["versions"] == ["1.55.3", "3.54.0"]
    assert matrix["summary"]["1.55.3"]["http_library"] == "httpx"
    assert matrix["summary"]["3.54.0"]["http_library"] == "httpx2"


def test_call_missing_from_an_old_sdk_is_not_a_failure(matrix):
    cell = row(matrix, "test_responses")["cells"]["1.55.3"]
    assert cell["status"] == "not in this SDK" and cell["text"] == "not in this SDK"
    assert matrix["summary"]["1.55.3"]["counts"]["not in this SDK"] == 1


@pytest.mark.parametrize(
    "test, kind",
    [
        ("test_chat", "auth"),
        ("test_parse", "parse failure"),
        ("test_cap", "retry rules"),
        ("test_err", "exception type"),
        ("test_body", "request differs"),
    ],
)
def test_what_differs_is_classified(matrix, test, kind):
    r = row(matrix, test)
    assert r["differs"]
    old = r["cells"]["1.55.3"]
    assert old["status"] == "fail" and kind in old["kinds"]
    assert any(d.startswith(kind) for d in old["details"]), old["details"]


def test_mixed_cell_counts_passes_and_names_the_params(matrix):
    cell = row(matrix, "test_chat")["cells"]["1.55.3"]
    assert cell["text"] == "1/2 pass; auth"
    assert "entra-sync" in cell["details"][0] and "key-sync" not in cell["details"][0]


def test_doc_sdk_difference_counts_as_passing(matrix):
    cell = row(matrix, "test_cap")["cells"]["3.54.0"]
    assert cell["status"] == "pass" and cell["text"] == "doc-sdk-difference"


def test_a_version_without_results_is_a_no_run_column():
    m = sdkmatrix.merge(
        {"1.0.0": None, "3.54.0": results("3.54.0", case("test_chat", "chat"))},
        {"1.0.0": "pip install failed for openai==1.0.0: boom"},
    )
    cell = m["rows"][0]["cells"]["1.0.0"]
    assert cell["status"] == "no run" and "boom" in cell["details"][0]
    assert m["summary"]["1.0.0"]["problem"].startswith("pip install failed")


def test_renderers_show_every_version_and_the_differences(matrix, tmp_path):
    paths = sdkmatrix.write(matrix, tmp_path)
    md = paths["md"].read_text()
    assert "| documented call | test | 1.55.3 | 3.54.0 |" in md
    assert "### responses.create / test_responses" in md and "not in this SDK" in md
    html = paths["html"].read_text()
    assert html.count("<th>1.55.3</th>") == 1 and "class='notin'" in html and "class='fail'" in html
    assert json.loads(paths["json"].read_text())["versions"] == ["1.55.3", "3.54.0"]
    # Deterministic: the same input renders the same bytes.
    assert sdkmatrix.render_markdown(matrix) == md


def test_merge_only_reads_results_from_the_out_dir(tmp_path, capsys):
    for v, res in {
        "2.54.0": results("2.54.0", case("test_chat", "chat")),
        "3.54.0": results("3.54.0", case("test_chat", "chat")),
    }.items():
        (tmp_path / f"python-{v}").mkdir()
        (tmp_path / f"python-{v}" / "results.json").write_text(json.dumps(res))
    code = sdkmatrix.main(["--merge-only", "--out", str(tmp_path), "--versions", "3.54.0,2.54.0"])
    assert code == 0
    assert (tmp_path / "matrix.md").is_file() and (tmp_path / "matrix.html").is_file()
    assert sdkmatrix.main(["--merge-only", "--out", str(tmp_path / "none"), "--versions", "3.54.0"]) == 2


def test_requirements_pin_openai_and_keep_the_project_dependencies():
    reqs = sdkmatrix.requirements("1.109.1")
    assert "openai==1.109.1" in reqs and not any(r.startswith("openai>") for r in reqs)
    assert any(r.startswith("vcrpy") for r in reqs) and any(r.startswith("pytest") for r in reqs)


def test_cache_dir_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.setenv("AOAI_SDK_MATRIX_CACHE", str(tmp_path))
    assert sdkmatrix.cache_dir() == tmp_path
    monkeypatch.delenv("AOAI_SDK_MATRIX_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sdkmatrix.cache_dir() == tmp_path / "xdg" / "aoai-conformance" / "sdk-matrix"


def test_engine_uses_the_http_library_the_installed_sdk_uses():
    from openai import _base_client

    from aoai_conformance import calls, cassettes

    sdk_module = getattr(_base_client, "httpx2", None) or _base_client.httpx
    assert cassettes.HTTP is sdk_module and calls.HTTP is sdk_module
    cassettes.install()
    assert sdk_module.HTTPTransport.handle_request is cassettes._patched_sync


class _OldSDKClient:
    """A client of an SDK that has chat but no responses, and whose create() lacks a newer keyword."""

    class chat:  # noqa: N801 - mirrors client.chat.completions.with_raw_response.create
        class completions:  # noqa: N801
            class with_raw_response:  # noqa: N801
                @staticmethod
                def create(*, model, messages):
                    raise AssertionError("not reached: the suite passes a keyword this SDK lacks")


def _harness():
    from aoai_conformance import calls, cassettes
    from aoai_conformance.auth import BuiltClient
    from aoai_conformance.config import standin_target
    from aoai_conformance.modes import REPLAY

    return calls.Aoai(
        built=BuiltClient(_OldSDKClient(), "key", False),
        target=standin_target(),
        mode=REPLAY,
        traffic=cassettes.Traffic(mode=REPLAY),
    )


def test_a_call_the_installed_sdk_lacks_skips_as_not_in_this_sdk():
    with pytest.raises(
        pytest.skip.Exception, match=r"^not in this SDK: openai \S+ has no client\.responses$"
    ):
        _harness().create("responses", model="m", input="x")
    with pytest.raises(pytest.skip.Exception, match=r"has no client\.responses"):
        _harness().stream("responses", model="m", input="x")


def test_a_keyword_the_installed_sdk_lacks_skips_as_not_in_this_sdk():
    with pytest.raises(pytest.skip.Exception, match="not in this SDK: .*parameter 'stream_options'"):
        _harness().create("chat.completions", model="m", messages=[], stream_options={"include_usage": True})


# --- the other SDKs' columns -------------------------------------------------------------------------------
from aoai_conformance.sdkmatrix import columns as sdkcolumns  # noqa: E402
from aoai_conformance.sdkmatrix import table as sdktable  # noqa: E402

NOT_DOC = "not documented for node: auth mode key (the JavaScript section shows entra, env)"


def sdk_results(sdk, version, *cases):
    # run.sdk_version is the Python SDK's; each case carries the driver's hello version
    return results("3.57.0", *(dict(c, sdk=sdk, sdk_version=version.lstrip("v")) for c in cases))


@pytest.fixture
def across():
    chat_node = (
        case("test_chat", "chat.completions.create", auth="entra", client="async"),
        case(
            "test_chat",
            "chat.completions.create",
            auth="key",
            client="async",
            status="skipped",
            reason=NOT_DOC,
        ),
    )
    entra_go = case("test_entra", "auth (entra)", auth="entra")
    return sdkmatrix.merge(
        {
            "java 4.101.0": sdk_results("java", "4.101.0", case("test_chat", "chat.completions.create")),
            "go v3.99.0": sdk_results(
                "go",
                "v3.99.0",
                case("test_chat", "chat.completions.create"),
                {
                    **entra_go,
                    "status": "expected-fail",
                    "reason": "openai-go >= 3.53 refuses the documented client",
                },
            ),
            "node 6.49.0": sdk_results("node", "6.49.0", *chat_node),
            "python 3.54.0": results("3.54.0", case("test_chat", "chat.completions.create")),
            "go v2.1.1": sdk_results("go", "v2.1.1", case("test_chat", "chat.completions.create"), entra_go),
            "node 6.25.0": sdk_results(
                "node",
                "6.25.0",
                *chat_node,
                case(
                    "test_cap",
                    "retries (retry-after)",
                    client="async",
                    status="fail",
                    promise="retries.obeyed",
                ),
            ),
            "java 4.0.1": None,
        },
        {"java 4.0.1": sdkcolumns.NOT_SERVED[("java", "4.0.1")]},
    )


def test_columns_are_sdk_then_version(across):
    assert across["columns"] == [
        "python 3.54.0",
        "node 6.25.0",
        "node 6.49.0",
        "go v2.1.1",
        "go v3.99.0",
        "java 4.0.1",
        "java 4.101.0",
    ]
    assert [across["summary"][c]["http_library"] for c in ("node 6.49.0", "go v2.1.1", "java 4.101.0")] == [
        "fetch",
        "net/http",
        "OkHttp",
    ]
    assert across["summary"]["node 6.49.0"]["sdk_version"] == "6.49.0"  # the driver's, not run.sdk_version


def test_an_auth_mode_the_section_does_not_show_is_not_a_failure(across):
    cell = row(across, "test_chat")["cells"]["node 6.49.0"]
    assert cell["status"] == "pass" and cell["text"] == "not documented, pass"
    assert cell["details"] == [f"not documented (key-async): {NOT_DOC}"]
    alone = sdktable._cell([case("t", "c", status="skipped", reason=NOT_DOC)])
    assert alone.status == "not documented" and alone.text == "not documented"


def test_differs_compares_the_versions_of_one_sdk(across):
    # python "pass" against node "not documented, pass" is two SDKs, not a change between versions.
    assert not row(across, "test_chat")["differs"]
    entra = row(across, "test_entra")
    assert entra["differs"]
    assert entra["cells"]["go v2.1.1"]["text"] == "pass"
    assert entra["cells"]["go v3.99.0"]["text"] == "expected-fail"
    assert entra["cells"]["node 6.49.0"]["status"] == "absent"
    assert entra["differs_in"] == ["go"]
    section = sdkmatrix.render_markdown(across).split("### auth (entra) / test_entra")[1].split("###")[0]
    assert "- **go v3.99.0**: expected-fail" in section and "node" not in section and "java" not in section


def test_each_column_counts_its_cases(across):
    assert across["summary"]["node 6.25.0"]["cases"] == {
        "pass": 1,
        "doc-sdk-difference": 0,
        "expected-fail": 0,
        "not documented": 1,
        "skipped": 0,
        "failed": 1,
    }
    assert across["summary"]["go v3.99.0"]["cases"]["expected-fail"] == 1
    assert across["summary"]["java 4.0.1"]["cases"] is None


def test_a_version_not_served_is_a_not_run_column_in_every_rendering(across, tmp_path):
    reason = "4.0.1 not on Maven Central"
    assert sdkmatrix.summary_line("java 4.0.1", across["summary"]["java 4.0.1"]).startswith(
        f"java 4.0.1: not run: {reason}"
    )
    paths = sdkmatrix.write(across, tmp_path)
    md = paths["md"].read_text()
    assert f"| java 4.0.1 | OkHttp | not run: {reason}" in md
    assert "| documented call | test | python 3.54.0 | node 6.25.0 | node 6.49.0 |" in md
    assert f"not run: {reason}" in paths["html"].read_text()
    assert row(across, "test_chat")["cells"]["java 4.0.1"]["text"] == "not run"


@pytest.mark.parametrize(
    "sdk, versions, expected",
    [
        (None, [], {s: list(v) for s, v in sdkcolumns.DEFAULTS.items()}),
        ("node", [], {"node": ["6.25.0", "6.49.0"]}),
        (None, ["node=6.49.0,6.25.0"], {"node": ["6.49.0", "6.25.0"]}),
        (None, ["1.109.1,3.54.0"], {"python": ["1.109.1", "3.54.0"]}),
        (None, ["go=2.7.1,v3.99.0", "java=4.0.0"], {"go": ["v2.7.1", "v3.99.0"], "java": ["4.0.0"]}),
        ("python,go", ["go=v2.7.1"], {"python": list(sdkcolumns.DEFAULTS["python"]), "go": ["v2.7.1"]}),
    ],
)
def test_sdks_and_versions_are_chosen(sdk, versions, expected):
    assert sdkmatrix.plan(sdk, versions) == expected


@pytest.mark.parametrize("argv", [["--sdk", "ruby"], ["--versions", "ruby=3.0.0"]])
def test_an_unknown_sdk_is_one_line(argv, capsys):
    assert sdkmatrix.main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1
        and "unknown SDK 'ruby'" in err
        and "python,node,go,java" in err.replace(", ", ",")
    )


def test_the_pins_are_read_from_the_drivers():
    assert sdkmatrix.pinned("node") == "6.49.0"
    assert sdkmatrix.pinned("go") == "v2.1.1"
    assert sdkmatrix.pinned("java") == "4.0.0"


def test_the_version_variable_is_set_except_for_the_pin(monkeypatch):
    monkeypatch.setenv("AOAI_CONFORMANCE_SDK", "python")  # the caller's settings do not leak into a column
    assert "AOAI_CONFORMANCE_NODE_OPENAI" not in sdkcolumns.driver_env("node", "6.49.0")
    env = sdkcolumns.driver_env("node", "6.25.0")
    assert env["AOAI_CONFORMANCE_NODE_OPENAI"] == "6.25.0" and "AOAI_CONFORMANCE_SDK" not in env


def _fake_drivers(tmp_path, sdk, script):
    folder = tmp_path / "drivers" / sdk
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"dependencies": {"openai": "6.49.0"}}')
    build = folder / "build"
    build.write_text("#!/bin/sh\n" + script)
    build.chmod(0o755)
    return tmp_path / "drivers"


def test_a_failed_build_is_a_not_run_column_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sdkcolumns.shutil, "which", lambda tool: "/usr/bin/" + tool)
    drivers = _fake_drivers(
        tmp_path, "node", 'echo "npm noise" >&2\necho "drivers/node/build: no such version" >&2\nexit 1\n'
    )
    run = sdkcolumns.new_run("node", "6.0.99", tmp_path / "out")
    sdkcolumns.prepare(run, tmp_path, True, drivers)
    assert run.problem == "build failed: drivers/node/build: no such version"


def test_a_missing_toolchain_is_a_not_run_column(tmp_path, monkeypatch):
    monkeypatch.setattr(sdkcolumns.shutil, "which", lambda tool: None)
    drivers = _fake_drivers(tmp_path, "node", "touch built\n")
    run = sdkcolumns.new_run("node", "6.25.0", tmp_path / "out")
    sdkcolumns.prepare(run, tmp_path, True, drivers)
    assert run.problem == "node is not installed (needed by drivers/node/build)"
    assert not (drivers / "node" / "built").exists()


def test_a_driver_not_built_is_named_with_its_build_command(tmp_path):
    drivers = _fake_drivers(tmp_path, "node", "exit 0\n")
    run = sdkcolumns.new_run("node", "6.25.0", tmp_path / "out")
    sdkcolumns.prepare(run, tmp_path, False, drivers)
    assert run.problem == (
        "drivers/node is not built for 6.25.0: run AOAI_CONFORMANCE_NODE_OPENAI=6.25.0 drivers/node/build"
    )


def test_the_docs_java_pin_is_not_run_without_a_build(tmp_path, capsys):
    assert sdkmatrix.main(["--versions", "java=4.0.1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "java 4.0.1: not run: 4.0.1 not on Maven Central" in out and "Traceback" not in out
    assert "not run: 4.0.1 not on Maven Central" in (tmp_path / "matrix.md").read_text()


def _built_pin():
    """The pinned go or node driver when it is already built here (this test builds nothing)."""
    import shutil

    for sdk, tool in (("go", None), ("node", "node")):
        run = sdkcolumns.new_run(sdk, sdkmatrix.pinned(sdk), sdkcolumns.ROOT / "reports")
        if (tool is None or shutil.which(tool)) and sdkcolumns.built(run):
            return sdk, run.version
    pytest.skip("neither drivers/go nor drivers/node is built here (drivers/go/build, drivers/node/build)")


def test_the_pinned_driver_column_runs_for_real(tmp_path, capsys):
    sdk, version = _built_pin()
    argv = ["--sdk", sdk, "--versions", f"{sdk}={version}", "--no-build", "--out", str(tmp_path)]
    assert sdkmatrix.main([*argv, "--", "-k", "test_chat_completion"]) == 0
    summary = json.loads((tmp_path / "matrix.json").read_text())["summary"][f"{sdk} {version}"]
    assert summary["problem"] is None and summary["sdk_version"] == version.lstrip("v")
    assert summary["cases"]["pass"] > 0 and summary["cases"]["failed"] == 0, summary
    assert (tmp_path / f"{sdk}-{version}" / "results.json").is_file()
