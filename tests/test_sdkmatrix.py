"""The SDK matrix merge, on fabricated results.json files (no venvs, no network)."""

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
        (tmp_path / v).mkdir()
        (tmp_path / v / "results.json").write_text(json.dumps(res))
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
