"""Each SDK's coverage (aoai_conformance.sdks.coverage) cites its section of 001_60994d7e1bcccbfb.txt truly: every
cited heading is in that SDK's section, the JavaScript error table is the seed's, and every suite test's report
row maps to a feature (so a test is skipped for an SDK only when its section lacks the feature)."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from aoai_conformance.sdks import coverage

REPO = Path(__file__).resolve().parent.parent
SEEDS = Path(os.environ.get("AOAI_CONFORMANCE_SEEDS") or REPO.parent / "shared" / "seeds")
SEED = SEEDS / coverage.SEED
if not SEED.is_file():
    pytest.skip(f"the seed page is not at {SEED}: set AOAI_CONFORMANCE_SEEDS", allow_module_level=True)

# Each SDK's section starts at its "Source code | ..." line (the seed's rendering of the page's tabs).
STARTS = {
    "Go": "Source code | Package (pkg.go.dev)",
    "Java": "Source code |REST API reference documentation | Package reference documentation | Maven Central",
    "JavaScript": "Source code | Package (npm)",
    "Python": "Library source code | Package (PyPi)",
}


def sections() -> dict[str, list[str]]:
    """Each SDK's lines; the page opens with the .NET section, which has no "Source code" line."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    at = {
        name: next(i for i, line in enumerate(lines) if line.startswith(start))
        for name, start in STARTS.items()
    }
    order = sorted(at, key=at.get)  # type: ignore[arg-type]
    bounds = [*(at[n] for n in order), len(lines)]
    found = {name: lines[bounds[i] : bounds[i + 1]] for i, name in enumerate(order)}
    return {".NET": lines[: bounds[0]], **found}


@pytest.mark.parametrize("sdk", sorted(coverage.SDKS))
def test_every_citation_names_headings_of_that_sdks_section(sdk):
    cov = coverage.of(sdk)
    text = sections()[cov.section]
    for cite in [*cov.features.values(), *cov.auth.values()]:
        parts = [p.strip() for p in re.sub(r"\s*\(.*$", "", cite).split(" / ")]
        assert parts[0] == cov.section, cite
        for heading in parts[1:]:
            assert heading in text, f"{cite!r}: no line {heading!r} in the {cov.section} section"


def test_the_javascript_error_table_is_the_seeds():
    text = sections()["JavaScript"]
    rows = {
        int(m.group(1)): m.group(2).strip()
        for line in text
        if (m := re.match(r"\| (\d{3}) \| (.+?) \|$", line))
    }
    assert rows == coverage.NODE.profile.documented_classes
    assert "maxRetries: 0, // default is 2" in "\n".join(text)  # the env client of the Retries section


def test_the_dotnet_section_is_kept_for_a_driver_and_not_run_with_its_reason():
    from aoai_conformance.sdks.driver import Driver, NotRun

    text = sections()[".NET"]
    rows = {
        int(m.group(1)): m.group(2).strip()
        for line in text
        if (m := re.match(r"\| (\d{3}) \| (.+?) \|$", line))
    }
    assert rows == coverage.DOTNET.profile.documented_classes
    assert (
        any("up to three more times" in line for line in text)
        and coverage.DOTNET.profile.retry.max_retries == 3
    )
    with pytest.raises(NotRun, match="NuGet is not reachable from this machine"):
        Driver("dotnet").command()


def test_go_and_java_sections_document_no_retries_or_error_table():
    for name in ("Go", "Java"):
        text = sections()[name]
        assert "Retries" not in text and "Error codes" not in text
        assert not {"retries", "error codes"} & set(coverage.of(name.lower()).features)


def test_every_suite_report_row_maps_to_a_feature():
    rows = set()
    for path in (REPO / "suites").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("documented", "retries_doc"):
                if node.args and isinstance(node.args[0], ast.Constant):
                    rows.add(node.args[0].value)
    assert len(rows) > 10
    known = set(coverage.FEATURES) | {r for r in rows if r.startswith(("error code", "retries"))}
    unmapped = sorted(r for r in rows if r not in known)
    # rows no other SDK's section documents: Python's fine-tuning example and the Responses follow-up calls
    assert unmapped == [
        "fine_tuning.jobs.create (error example)",
        "responses.delete",
        "responses.input_items.list",
        "responses.retrieve",
    ]
    for sdk in coverage.SDKS.values():
        assert all(sdk.covers(coverage.feature(r)) is None for r in unmapped)
