"""The documentation's own code, run as written (aoai_conformance.docsnippets; issue 14, item 2).

Extraction is held to the seed text (counts, boundaries, no code line taken for prose or the other way round);
substitution changes the resource URL and the credentials and nothing else; the Python blocks run against the
stand-in or are listed in known.toml; a broken block fails the run; the Go install line fails as Go's module
rules say it must; a missing toolchain is "not run"; the stand-in's key and token never reach the report.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from aoai_conformance.docsnippets.__main__ import main, seeds_dir
from aoai_conformance.docsnippets.extract import Block, extract, fenced_blocks, seed_files
from aoai_conformance.docsnippets.install import maven_coordinates, resolve_block
from aoai_conformance.docsnippets.report import KNOWN as KNOWN_FILE
from aoai_conformance.docsnippets.report import drift, judge, load_known
from aoai_conformance.docsnippets.run import (
    COMPILE_ERROR,
    FRAGMENT,
    NOT_RUN,
    RAN,
    RUNTIME_ERROR,
    STANDIN_KEY,
    STANDIN_TOKEN,
    Result,
    Toolchains,
    run_block,
)
from aoai_conformance.docsnippets.substitute import JS_CREDENTIAL, RESOURCE_URL, prepare

SEEDS_DIR = seeds_dir(None)
if not (SEEDS_DIR / "000_618f909ca6807cc5.txt").is_file():
    pytest.skip(
        f"the seed pages are not at {SEEDS_DIR}: set AOAI_CONFORMANCE_SEEDS to the folder of 000_618f909ca6807cc5.txt",
        allow_module_level=True,
    )

SEEDS = seed_files(SEEDS_DIR)
BLOCKS = {p: extract(f) for p, f in SEEDS.items()}
ALL = [b for blocks in BLOCKS.values() for b in blocks]
BY_ID = {b.id: b for b in ALL}
KNOWN = load_known(KNOWN_FILE)
ORIGIN = "http://127.0.0.1:5"


def seed_lines(prefix: str) -> list[str]:
    return SEEDS[prefix].read_text(encoding="utf-8").split("\n")


def counts(prefix: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for b in BLOCKS[prefix]:
        out[b.language] = out.get(b.language, 0) + 1
    return out


# --- extraction ----------------------------------------------------------------------------------------------
def test_the_markdown_page_has_its_fenced_blocks_by_language():
    assert counts("000") == {"shell": 2, "python": 24, "output": 6}


def test_the_rendered_page_has_every_language_s_blocks():
    assert counts("001") == {
        "shell": 7,
        "csharp": 6,
        "go": 3,
        "gradle": 1,
        "xml": 2,
        "java": 2,
        "javascript": 6,
        "python": 9,
    }


def test_extraction_is_deterministic():
    again = [b for f in SEEDS.values() for b in extract(f)]
    assert again == ALL


def test_every_block_is_the_seed_text_itself_not_retyped():
    for b in ALL:
        assert b.code == "\n".join(seed_lines(b.seed[:3])[b.start - 1 : b.end]), b.id


# (id, first line, last line, language, section)
KNOWN_BLOCKS = [
    ("000:25-25", "pip install openai", "pip install openai", "shell", "Python > Installation"),
    ("000:833-844", "client = OpenAI(", "print(embedding)", "python", "Python > Embeddings > embeddings.create() [API Key]"),
    ("000:942-952", "# max retires for specific requests", ")", "python", "Python > Error handling > Retries"),
    ("001:32-56", "using OpenAI;", 'Console.WriteLine($"[ASSISTANT]: {completion.Content[0].Text}");', "csharp", ".NET > Chat"),
    ("001:103-140", "using OpenAI;", "}", "csharp", ".NET > Streaming"),
    ("001:196-198", "go get -u 'github.com/openai/openai-go@v2.1.1'", "go get github.com/Azure/azure-sdk-for-go/sdk/azidentity", "shell", "Go > Installation"),
    ("001:201-232", "package main", "}", "go", "Go > Authentication"),
    ("001:309-309", 'implementation("com.openai:openai-java:4.0.1")', 'implementation("com.openai:openai-java:4.0.1")', "gradle", "Java > Installation > Gradle"),
    ("001:311-315", "<dependency>", "</dependency>", "xml", "Java > Maven"),
    ("001:326-333", "Credential tokenCredential = BearerTokenCredential.create(", ".build();", "java", "Java > Authentication"),
    ("001:336-365", "package com.example;", "}", "java", "Java > Responses"),
    ("001:374-382", 'import { DefaultAzureCredential, getBearerTokenProvider } from "@azure/identity";', "});", "javascript", "JavaScript > Authentication"),
    ("001:490-497", "// Configure the default for all requests:", "});", "javascript", "JavaScript > Retries"),
    ("001:583-602", "from openai import OpenAI", "print(chunk.choices[0].delta.content, end='',)", "python", "Python > chat.completions.create() - streaming"),
    ("001:638-654", "# from openai import OpenAI", "print(e.response)", "python", "Python > Fine-tuning with Python how-to article > Error handling"),
    ("001:668-669", "print(completion._request_id)", "print(legacy_completion._request_id)", "python", "Python > Request IDs"),
    ("002:61-67", " import os", "    )", "python", "Python > Authentication [API Key]"),
]  # fmt: skip


@pytest.mark.parametrize(
    "block_id,first,last,language,section", KNOWN_BLOCKS, ids=[k[0] for k in KNOWN_BLOCKS]
)
def test_known_block_boundaries(block_id, first, last, language, section):
    b = BY_ID[block_id]
    assert (b.lines[0], b.lines[-1], b.language, b.section) == (first, last, language, section)


def _code_lines(prefix: str) -> set[int]:
    return {n for b in BLOCKS[prefix] for n in range(b.start, b.end + 1)}


# Rendered page lines that look like code but are the page's headings and prose, and code lines that look like
# prose (a C# declaration whose initializer opens on the next line, a shell comment between install lines).
PROSE = [521, 563, 582, 603, 633, 334, 195, 29, 57, 385, 446, 488, 675, 31, 310, 308]
CODE = [47, 197, 61, 62, 120, 121, 330, 331, 580, 600, 641, 677, 682]


def test_rendered_headings_and_prose_are_never_code():
    code = _code_lines("001")
    lines = seed_lines("001")
    assert [(n, lines[n - 1]) for n in PROSE if n in code] == []


def test_rendered_code_lines_that_look_like_prose_are_code():
    code = _code_lines("001")
    lines = seed_lines("001")
    assert [(n, lines[n - 1]) for n in CODE if n not in code] == []


def test_the_lines_around_each_listed_block_are_not_code():
    for block_id, *_ in KNOWN_BLOCKS:
        b = BY_ID[block_id]
        code = _code_lines(b.seed[:3])
        assert b.start - 1 not in code and b.end + 1 not in code, block_id


def test_fences_name_the_language_and_sample_output_is_not_code():
    page = "## H\n\n```python\nprint(1)\n```\n\n```json\n{}\n```\n\n```cmd\npip install x\n```\n"
    assert [(b.language, b.start, b.end) for b in fenced_blocks("x.txt", page)] == [
        ("python", 4, 4),
        ("output", 8, 8),
        ("shell", 12, 12),
    ]


# --- substitution ----------------------------------------------------------------------------------------------
def test_every_resource_url_of_the_pages_is_found_typos_and_real_looking_hosts_included():
    hosts = {m.group(0) for b in ALL for m in RESOURCE_URL.finditer(b.code)}
    assert {
        "https://YOUR-RESOURCE-NAME.openai.azure.com",
        "https://YOUR-RESORCE-NAME.openai.azure.com",
        "https://YOUR-RESOURCE_NAME.openai.azure.com",
        "https://france-central-test-001.openai.azure.com",
    } == hosts


RUNNABLE = [b for b in ALL if b.language in ("python", "javascript", "go", "java")]


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_substitution_changes_the_url_and_the_credential_only(block):
    prepared = prepare(block, ORIGIN, {})
    expected = RESOURCE_URL.sub(ORIGIN, block.code)
    if block.language == "javascript":
        expected = expected.replace("new DefaultAzureCredential()", JS_CREDENTIAL)
    if block.language == "java":
        expected = expected.replace("new DefaultAzureCredentialBuilder().build()", "<credential>")
        got = re.sub(
            r"\(\(com\.azure\.core\.credential\.TokenCredential\).*\)\)\)\)", "<credential>", prepared.code
        )
        # a fragment is wrapped: its lines, in order and otherwise unchanged, inside the class
        assert "\n".join(x.strip() for x in expected.split("\n")) in "\n".join(
            x.strip() for x in got.split("\n")
        )
    else:
        assert prepared.code == expected
    urls = len(RESOURCE_URL.findall(block.code))
    assert len([s for s in prepared.substitutions if s.startswith("url: ")]) == urls
    assert "DefaultAzureCredential" not in block.code or any(
        s.startswith("credential: ") for s in prepared.substitutions
    )
    assert not any(STANDIN_KEY in s or STANDIN_TOKEN in s for s in prepared.substitutions)


def test_a_java_fragment_is_wrapped_with_imports_an_ide_would_add():
    index = {
        "Credential": ["com.openai.credential.Credential", "com.microsoft.aad.msal4j.Credential"],
        "BearerTokenCredential": ["com.openai.credential.BearerTokenCredential"],
        "AuthenticationUtil": ["com.azure.identity.AuthenticationUtil"],
        "OpenAIClient": ["com.openai.client.OpenAIClient"],
        "OpenAIOkHttpClient": ["com.openai.client.okhttp.OpenAIOkHttpClient"],
    }
    prepared = prepare(BY_ID["001:326-333"], ORIGIN, index)
    assert prepared.main_class == "Snippet"
    assert (
        "import com.openai.credential.Credential;" in prepared.code
    )  # the package BearerTokenCredential is in
    assert "msal4j" not in prepared.code
    assert any(s.startswith("wrap: class Snippet") for s in prepared.substitutions)


# --- running ---------------------------------------------------------------------------------------------------
TOOLS = Toolchains()
PYTHON = [b for b in ALL if b.language == "python" and b.seed[:3] in ("000", "001")] + [BY_ID["002:61-67"]]


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_blocks_run_against_the_standin_or_are_listed(block):
    r = run_block(block, ALL, TOOLS)
    if block.id in KNOWN:
        assert (r.outcome, block.id) == (KNOWN[block.id].outcome, block.id), r.detail
    else:
        assert (r.outcome, r.detail) == (RAN, "")
        assert all(" -> 2" in x for x in r.requests)


@pytest.mark.parametrize(
    "block_id,sent",
    [
        ("000:113-130", "Authorization: Bearer the stand-in token"),  # Entra ID tab
        (
            "000:138-151",
            "Authorization: Bearer the stand-in key",
        ),  # API Key tab: os.getenv("AZURE_OPENAI_API_KEY")
        ("000:159-168", "Authorization: Bearer the stand-in key"),  # Environment Variables tab
    ],
)
def test_each_tab_sends_the_credential_it_documents(block_id, sent):
    r = run_block(BY_ID[block_id], ALL, TOOLS)
    assert r.requests == [f"POST /openai/v1/responses [{sent}] -> 200"]


def test_a_rendered_python_block_takes_its_indentation_from_the_markdown_page():
    r = run_block(BY_ID["001:583-602"], ALL, TOOLS)
    assert r.outcome == RAN and r.same_as == "000:553-576"
    assert r.substitutions[0].startswith("indentation: from 000:553-576")


def _block(code: str, language: str = "python") -> Block:
    code = code.rstrip("\n")
    return Block("000_test.txt", 1, code.count("\n") + 1, language, "Python > Test", code, fence=language)


def test_a_block_that_does_not_compile_is_a_failure():
    r = run_block(_block("client = OpenAI(\n"), ALL, TOOLS)
    assert r.outcome == COMPILE_ERROR and r.detail.startswith("SyntaxError")


def test_a_block_the_standin_answers_with_an_error_is_a_runtime_error():
    code = textwrap.dedent(
        """\
        import os
        from openai import OpenAI
        client = OpenAI(api_key=os.getenv("AZURE_OPENAI_API_KEY"), base_url="https://YOUR-RESOURCE-NAME.openai.azure.com/openai/v1/")
        try:
            client.chat.completions.create(model="no-such-deployment", messages=[{"role": "user", "content": "x"}])
        except Exception as e:
            print(e)  # the page's error-handling style: caught, printed, exit 0
        """
    )
    r = run_block(_block(code), ALL, TOOLS)
    assert r.outcome == RUNTIME_ERROR
    assert r.detail.startswith("the stand-in answered 404")
    verdict = judge([r], {}, selected_all=False)
    assert verdict.new == ["000:1-7"] and verdict.exit_code == 1


def test_a_block_using_a_name_it_never_defines_is_a_fragment():
    r = run_block(_block("print(client)"), ALL, TOOLS)
    assert (r.outcome, r.detail) == (FRAGMENT, "NameError: name 'client' is not defined")


def test_a_missing_toolchain_is_not_run_with_its_reason(tmp_path):
    empty = Toolchains(tmp_path)
    assert "drivers/node/build" in empty.missing("javascript")
    assert "drivers/java/build" in empty.missing("java") or "not installed" in empty.missing("java")
    r = run_block(BY_ID["001:386-400"], ALL, empty)
    assert r.outcome == NOT_RUN and r.detail
    assert run_block(BY_ID["001:12-28"], ALL, TOOLS).outcome == NOT_RUN  # .NET: no SDK, NuGet unreachable


@pytest.mark.parametrize(
    "block_id,language", [("001:386-400", "javascript"), ("001:235-271", "go"), ("001:336-365", "java")]
)
def test_other_languages_blocks_run_against_the_standin(block_id, language):
    reason = TOOLS.missing(language)
    if reason:
        pytest.skip(reason)
    r = run_block(BY_ID[block_id], ALL, TOOLS)
    assert (r.outcome, r.detail) == (RAN, "")
    assert r.requests and all(" -> 200" in x for x in r.requests)


def test_the_java_authentication_fragment_runs_wrapped():
    reason = TOOLS.missing("java")
    if reason:
        pytest.skip(reason)
    r = run_block(BY_ID["001:326-333"], ALL, TOOLS)
    assert (r.outcome, r.detail) == (RAN, "")
    assert any(
        s.startswith("wrap: imports resolved") and "com.openai.credential.Credential;" in s
        for s in r.substitutions
    )


def test_dotnet_install_lines_are_not_run_because_nuget_is_unreachable():
    (r,) = resolve_block(BY_ID["001:7-7"])
    assert (r.command, r.outcome) == ("dotnet add package OpenAI", "not run")
    assert r.detail.startswith("NuGet unreachable")


def test_maven_and_gradle_blocks_give_the_coordinates_they_pin():
    assert maven_coordinates(BY_ID["001:309-309"]) == [(309, "com.openai:openai-java:4.0.1")]
    assert maven_coordinates(BY_ID["001:311-315"]) == [(311, "com.openai:openai-java:4.0.1")]
    assert maven_coordinates(BY_ID["001:319-323"]) == [(319, "com.azure:azure-identity:1.18.0")]


def test_the_go_install_line_fails_as_go_module_rules_say():
    if shutil.which("go") is None:
        pytest.skip("go is not installed")
    commands = resolve_block(BY_ID["001:196-198"])
    line = {c.line: c for c in commands}
    if line[196].outcome == "not run":
        pytest.skip(line[196].detail)
    assert line[196].outcome == "failed"
    assert line[196].detail.startswith("go: github.com/openai/openai-go@v2.1.1: ")
    assert any("invalid: should be v0 or v1, not v2" in e for e in line[196].evidence)
    assert "go get github.com/openai/openai-go/v2@v2.1.1: resolves" in line[196].evidence


# --- the command, the report, the verdict ------------------------------------------------------------------------
def _seeds(tmp_path: Path, python: str) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "000_test.txt").write_text(f"## Section\n\n```python\n{python}\n```\n", encoding="utf-8")
    (folder / "001_test.txt").write_text("Note\nNothing to run here.\n", encoding="utf-8")
    return folder


def test_a_broken_snippet_fails_the_run_and_secrets_stay_out_of_the_report(tmp_path, capsys):
    leak = 'import os\nraise RuntimeError(os.environ["AZURE_OPENAI_API_KEY"] + " " + os.environ["AOAI_DOCSNIPPETS_TOKEN"])'
    known = tmp_path / "known.toml"
    known.write_text("", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--seeds", str(_seeds(tmp_path, leak)), "--out", str(out), "--known", str(known)]) == 1
    report = json.loads((out / "docsnippets.json").read_text(encoding="utf-8"))
    assert report["summary"]["new_failures"] == ["000:4-5"]
    assert report["blocks"][0]["detail"] == "RuntimeError: <stand-in key> <stand-in token>"
    for f in out.iterdir():
        text = f.read_text(encoding="utf-8")
        assert STANDIN_KEY not in text and STANDIN_TOKEN not in text, f.name
    assert "new failure 000:4-5" in capsys.readouterr().err


def test_the_real_blocks_report_holds_no_secret(tmp_path):
    out = tmp_path / "out"
    code = main(["--blocks", "000:58-68,000:138-151,000:159-168", "--out", str(out)])
    assert code == 0
    for f in out.iterdir():
        text = f.read_text(encoding="utf-8")
        assert STANDIN_KEY not in text and STANDIN_TOKEN not in text, f.name
    rows = json.loads((out / "docsnippets.json").read_text(encoding="utf-8"))["blocks"]
    assert [r["outcome"] for r in rows] == [RAN, RAN, RAN]


def test_a_listed_block_that_runs_after_all_fails_the_run(tmp_path):
    known = tmp_path / "known.toml"
    known.write_text(
        '[[known]]\nblock = "000:4-4"\noutcome = "runtime error"\nkind = "finding"\nsummary = "s"\nevidence = "e"\n',
        encoding="utf-8",
    )
    args = [
        "--seeds",
        str(_seeds(tmp_path, "print(1)")),
        "--out",
        str(tmp_path / "out"),
        "--known",
        str(known),
    ]
    assert main(args) == 1


def test_every_known_entry_names_a_block_and_says_why():
    assert set(KNOWN) <= set(BY_ID)
    assert all(k.summary and k.evidence for k in KNOWN.values())


@pytest.mark.parametrize(
    "args,says",
    [
        (["--seeds", "/no/such/folder"], "no such folder"),
        (["--only", "cobol"], "no such language"),
        (["--blocks", "000:1-2"], "no such block"),
        (["--known", "/no/such/known.toml"], "cannot read it"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, says, capsys, tmp_path):
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


def test_a_known_file_that_is_not_toml_is_bad_input(tmp_path, capsys):
    bad = tmp_path / "known.toml"
    bad.write_text("[[known]\n", encoding="utf-8")
    assert main(["--known", str(bad), "--list"]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_drift_pairs_the_earlier_revision_s_blocks_with_the_current_page_s():
    results = [Result(b, KNOWN[b.id].outcome if b.id in KNOWN else RAN) for b in ALL]
    pairs = {(d["earlier"], d["current"]): d for d in drift(results)}
    fixed = pairs[("002:61-67", "000:76-82")]
    assert (fixed["code"], fixed["earlier_outcome"], fixed["current_outcome"]) == (
        "changed",
        COMPILE_ERROR,
        RAN,
    )
    assert all(d["earlier"].startswith("002:") and d["current"].startswith("000:") for d in pairs.values())
