"""The real-traffic corpus is a regression gate: every recorded answer goes through every layer that applies,
and every failure is a listed finding (a real deviation with its evidence and promise) or this test fails.

A real answer that trips a check is a false alarm until proven otherwise: either the check is wrong (fix the
check or its schema overlay), or the server really deviates (list it in findings.toml, with the entry as its
evidence). Entries from dated API versions are judged as what they are: their findings name that API.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from aoai_conformance import paths
from aoai_conformance.recorded import check
from aoai_conformance.recorded.findings import load, source_id

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SHARED = Path(os.environ.get("AOAI_CONFORMANCE_REALTRAFFIC", REPO.parent / "shared" / "realtraffic"))
FINDINGS = load(paths.findings())


@pytest.fixture(scope="module")
def corpus():
    return check([str(CORPUS)], findings_file=paths.findings())


def _entries() -> list[tuple[str, int, dict]]:
    out = []
    for f in sorted(CORPUS.glob("*.har")):
        for i, e in enumerate(json.loads(f.read_text())["log"]["entries"]):
            out.append((f.name, i, e))
    return out


def test_every_failure_on_real_traffic_is_a_listed_finding(corpus):
    unexplained = [
        f"{c['id']}: {(c.get('failure') or {}).get('message')}"
        for c in corpus.cases
        if c["status"] not in ("pass", "expected-fail", "doc-sdk-difference")
    ]
    assert not corpus.bad, [str(b) for b in corpus.bad]
    assert not unexplained, "\n".join(unexplained)


def test_every_documented_call_in_the_corpus_is_judged_not_skipped(corpus):
    skipped = [c["id"] for c in corpus.cases if c["status"] in ("skipped", "not-applicable")]
    assert not skipped, skipped
    assert len(corpus.cases) == len(_entries())


def test_every_listed_finding_is_seen_in_the_corpus(corpus):
    """A finding nothing shows any more is stale: remove it (or the service was fixed: say so)."""
    seen = Counter(f for c in corpus.cases for f in c.get("findings", []))
    stale = [f.id for f in FINDINGS.items if not seen[f.id]]
    assert not stale, stale


def test_every_finding_names_its_evidence_in_the_corpus():
    ids = {source_id(e.get("_aoai", {})) for _, _, e in _entries()}
    for f in FINDINGS.items:
        assert any(s in ev for ev in f.evidence for s in ids if s), f"{f.id}: evidence names no corpus entry"
        for entry in f.entries or ():
            assert entry in ids, f"{f.id}: {entry} is not in the corpus"


@pytest.mark.parametrize("name, index, entry", _entries(), ids=[f"{n}#{i}" for n, i, _ in _entries()])
def test_every_entry_carries_its_provenance(name, index, entry):
    meta = entry.get("_aoai") or {}
    src = meta.get("source") or {}
    assert src.get("repo") and src.get("path") and isinstance(src.get("entry"), int)
    assert len(src.get("commit", "")) == 40, "a full commit id, so the recording can be found again"
    assert meta.get("service") in ("azure", "openai") and meta.get("api") and meta.get("kind")
    assert isinstance(meta.get("caveats"), list) and isinstance(meta.get("headers_recorded"), bool)


def test_the_corpus_judges_each_entry_as_the_api_it_was_recorded_on(corpus):
    """v1, dated deployments and api.openai.com are told apart (a dated answer is not judged as v1)."""
    by_file = {(Path(c["recording"]["file"]).name, c["recording"]["entry"]): c for c in corpus.cases}
    for name, index, entry in _entries():
        case = by_file[(name, index)]
        api = entry["_aoai"]["api"]
        assert case["recording"]["api"] == api, (name, index)
        kind = entry["_aoai"]["kind"]
        if kind != "error":  # an error answer is identified by its call; its status makes it an error
            assert case["recording"]["kind"] == kind, (name, index)
        assert case["recording"]["profile"] == ("azure" if entry["_aoai"]["service"] == "azure" else "openai")


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no shared real-traffic corpus at {SHARED}")
def test_the_shared_corpus_passes_the_command_as_a_user_runs_it(tmp_path):
    from aoai_conformance import cli

    assert cli.main(["check", str(SHARED), "--reports-dir", str(tmp_path), "-q"]) == 0
