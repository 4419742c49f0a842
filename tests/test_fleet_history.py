"""Issue 15's pure parts, without a run: the verdicts of the trend (new, flaky, known, fixed), the merge's
not-run columns, the SDK dimension, pass^K / pass@K, the not-checked threshold, and bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report import make_case

from aoai_conformance import cli
from aoai_conformance.config import Settings, Target
from aoai_conformance.plugin.results import not_checked
from aoai_conformance.report import _fleet, _history, _model
from aoai_conformance.report._fleet_render import fleet_html, fleet_markdown, trend_markdown


def results(target: str, *cases: dict, started: str = "2026-11-01T03:23:00Z", **run: object) -> dict:
    return {
        "format": "aoai-conformance/results",
        "version": 1,
        "run": {
            "started": started,
            "mode": "live",
            "targets": [{"name": target, "region": "Sweden Central"}],
            **run,
        },
        "cases": list(cases),
    }


def nights_of(tmp: Path, strips: dict[str, str]) -> list[_history.Night]:
    """One night per character: strips maps a call to 'PF.?' (pass, fail, not run, target not checked)."""
    length = len(next(iter(strips.values())))
    for n in range(length):
        cases, unchecked = [], []
        for i, (call, strip) in enumerate(sorted(strips.items())):
            mark = strip[n]
            if mark == "?":
                unchecked.append({"target": "t", "skipped": 1, "cases": 1, "headline": "NOT CHECKED: t"})
            if mark in "PF?":
                status = {"P": "pass", "F": "fail", "?": "skipped"}[mark]
                cases.append(
                    make_case(
                        f"test_{i}", call=call, target="t", status=status, failure={} if mark == "F" else None
                    )
                )
        doc = results(
            "t",
            *cases,
            started=f"2026-11-{n + 1:02d}T03:23:00Z",
            **({"not_checked": unchecked[:1]} if unchecked else {}),
        )
        path = tmp / f"n{n:02d}" / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
        out = tmp / "history" / f"n{n:02d}"
        out.mkdir(parents=True)
        (out / "fleet.json").write_text(json.dumps(_fleet.merge([path])), encoding="utf-8")
    return _history.load_nights(tmp / "history", length)


@pytest.mark.parametrize(
    ("strip", "verdict", "failed", "checked"),
    [
        ("PPPPPPPPPPPFFF", "new", 3, 14),  # broken from night 12 on
        ("PFPPFPPFPPFPPF", "flaky", 5, 14),  # one night in three: never new, even failing tonight
        ("PFPPFPPFPPFPPP", "flaky", 4, 14),  # ... or passing tonight
        ("FFFFFFFFFFFFFF", "known", 14, 14),  # a full window of failure
        ("FFFFFFPPPPPPPP", "fixed", 6, 14),
        ("PPPPPPPPPPPPPP", "ok", 0, 14),
        ("PPPP?PPPPPP??F", "new", 1, 11),  # not-checked nights count for nothing
        ("......FFFFFFFF", "new", 8, 8),  # a new target failing from its first night: new
    ],
)
def test_the_verdict_of_a_strip(tmp_path, strip, verdict, failed, checked):
    (s,) = _history.trend(nights_of(tmp_path, {"chat.completions.create": strip})).strips
    assert (s.verdict, s.failed, s.checked) == (verdict, failed, checked)
    assert (
        "".join({"pass": "P", "fail": "F", "not-run": ".", "not-checked": "?"}[x] for x in s.statuses)
        == strip
    )


def test_a_short_history_has_no_known_failure_yet(tmp_path):
    nights = nights_of(tmp_path, {"chat.completions.create": "FFF"})
    assert _history.trend(nights, window=14).strips[0].verdict == "new"  # when it began is unknown
    assert _history.trend(nights, window=3).strips[0].verdict == "known"


def test_fail_on_new_ignores_flakes_and_says_so(tmp_path):
    t = _history.trend(nights_of(tmp_path, {"a.call": "PFPPFPPFPPFPPF", "b.call": "PPPPPPPPPPPPPP"}))
    code, lines = _history.fail_on_new(t)
    assert code == 0 and any("ignored 1 known flaky cell(s)" in line for line in lines)
    assert "flaky" in trend_markdown(t)


def test_merge_says_why_a_target_did_not_run(tmp_path):
    (tmp_path / "results-partial").mkdir()
    (tmp_path / "results-partial" / "results.json").write_text(
        '{"format": "aoai-conformance/res', encoding="utf-8"
    )
    (tmp_path / "results-empty").mkdir()
    (tmp_path / "results-empty" / "results.json").write_text("", encoding="utf-8")
    stub = tmp_path / "stub.json"
    stub.write_text(json.dumps(_fleet.not_run_stub("nokey", "no credentials")), encoding="utf-8")
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps(results("ok", make_case(target="ok"))), encoding="utf-8")
    paths = [
        tmp_path / "results-partial" / "results.json",
        tmp_path / "results-empty" / "results.json",
        stub,
        ok,
        tmp_path / "results-gone" / "results.json",
    ]
    fleet = _fleet.merge(paths, ["timedout"])
    reasons = {t["name"]: (t["state"], t["reason"].split(":")[0]) for t in fleet["targets"]}
    assert reasons == {
        "empty": ("not-run", "empty results.json"),
        "gone": ("not-run", "no results.json"),
        "nokey": ("not-run", "no credentials"),
        "ok": ("checked", ""),
        "partial": ("not-run", "partial results.json (not valid JSON)"),
        "timedout": ("not-run", "no results.json"),
    }
    md = fleet_markdown(fleet)
    assert md.count("NOT RUN:") == 5 and md == fleet_markdown(json.loads(json.dumps(fleet)))  # deterministic


def test_merge_of_a_file_that_is_something_else_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "results.json"
    bad.write_text('{"format": "something-else", "version": 1}', encoding="utf-8")
    assert cli.main(["report", "--merge", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "something-else" in err
    assert cli.main(["report", "--history", str(tmp_path / "nowhere")]) == 2
    assert cli.main(["report", "--history", str(tmp_path)]) == 2  # a folder without fleet.json
    assert "no fleet.json" in capsys.readouterr().err


def test_untrusted_names_are_escaped(tmp_path):
    evil = "<script>x|y</script>"
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(results(evil, make_case(target=evil, status="fail", failure={}))), encoding="utf-8"
    )
    fleet = _fleet.merge([path])
    assert "<script>" not in fleet_html(fleet) and "&lt;script&gt;" in fleet_html(fleet)
    assert "<script>" not in fleet_markdown(fleet)


def test_several_sdks_are_a_dimension_of_both_matrices(tmp_path):
    py = make_case("test_chat_completion", target="t")
    node = dict(
        make_case("test_chat_completion", target="t", status="fail", failure={}),
        sdk="node",
        sdk_version="6.30.1",
    )
    node["id"] += "-node"
    matrix = _model.build_matrix([py, node])
    assert matrix.dimensions == ["auth", "target", "lang", "sdk"]
    assert [c.label for c in matrix.columns] == [
        "key · t · node SDK · SDK 6.30.1",
        "key · t · python SDK · SDK 3.54.0",
    ]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(results("t", py, node)), encoding="utf-8")
    fleet = _fleet.merge([path])
    assert {(c["sdk"], c["status"]) for c in fleet["cells"]} == {("python", "pass"), ("node", "fail")}
    assert "node SDK" in fleet_markdown(fleet)
    single = _model.build_matrix([py])
    assert single.dimensions == ["auth", "target"]  # one SDK: no column for it


def test_pass_k_and_pass_at_k_per_cell():
    def run(test: str, k: int, status: str) -> dict:
        case = make_case(test, target="t", status=status)
        return dict(case, id=case["id"].replace("]", f"-r{k}]"), repeat=k)

    cases = [run("test_a", 1, "pass"), run("test_a", 2, "fail"), run("test_a", 3, "pass")]
    cases += [run("test_b", k, "pass") for k in (1, 2, 3)]
    rep = _model.repeat_of(cases)
    assert rep is not None and (rep.k, rep.cases, rep.all_passed, rep.any_passed) == (3, 2, 1, 2)
    assert rep.label == "pass^3 1/2 · pass@3 2/2"
    assert _model.repeat_of([make_case()]) is None


def _settings(mode: str = "live") -> Settings:
    return Settings(
        mode,
        ("key",),
        ("sync",),
        (Target("a", "azure", "https://a.openai.azure.com/openai/v1/"),),
        Path("r"),
        Path("c"),
        None,
    )


def test_not_checked_counts_skips_against_the_threshold():
    cases = [
        {
            "params": {"target": "a"},
            "status": s,
            "reason": "throttled: 429 after retries" if s == "skipped" else None,
        }
        for s in ("skipped", "skipped", "pass", "not-applicable")
    ]
    (entry,) = not_checked(cases, _settings(), 0.5)  # 2 of 3 applicable cases skipped
    assert (entry["skipped"], entry["cases"], entry["throttled"]) == (2, 3, 2)
    assert not_checked(cases, _settings(), 0.7) == []
    assert not_checked(cases, _settings("replay"), 0.5) == []  # replay reaches no server: nothing throttles


def test_a_target_in_two_inputs_is_one_line_exit_2(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / f"{name}.json").write_text(
            json.dumps(results("same", make_case(target="same"))), encoding="utf-8"
        )
    assert (
        cli.main(
            ["report", "--merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(tmp_path)]
        )
        == 2
    )
    assert "target 'same' is also in" in capsys.readouterr().err


def test_not_documented_cases_are_not_unchecked_but_not_run_ones_are():
    """Another SDK's case its section does not document was never meant to run: it is left out of the share,
    like not-applicable; a case whose SDK could not run here was meant to: it counts as unchecked."""
    documented_gaps = [
        {"params": {"target": "a"}, "status": s} for s in ["not-documented"] * 8 + ["pass"] * 2
    ]
    assert not_checked(documented_gaps, _settings(), 0.5) == []  # 0 of 2 meant to run were unchecked
    not_run = [{"params": {"target": "a"}, "status": s} for s in ["not-run"] * 3 + ["pass"] * 2]
    (entry,) = not_checked(not_run, _settings(), 0.5)
    assert (entry["skipped"], entry["cases"]) == (3, 5)
    # results.json from before the statuses called them skipped: counted, as then
    skipped_as_before = [
        dict(c, status=c["status"].replace("not-documented", "skipped")) for c in documented_gaps
    ]
    (entry,) = not_checked(skipped_as_before, _settings(), 0.5)
    assert (entry["skipped"], entry["cases"]) == (8, 10)


def test_fleet_and_trend_show_not_documented_and_not_run_apart(tmp_path):
    def case(test: str, status: str, reason: str) -> dict:
        c = dict(make_case(test, target="t", status=status, reason=reason), sdk="go", sdk_version="2.1.1")
        c["id"] += "-go"
        return c

    gap = dict(
        case("test_embeddings_x", "not-documented", "not documented for go: embeddings.create (stream)")
    )
    gap["call"] = "embeddings.create"
    idle = case("test_chat_completion", "not-run", "not run: drivers/go is not built")
    for n in range(2):
        path = tmp_path / f"n{n}" / "results.json"
        path.parent.mkdir()
        path.write_text(json.dumps(results("t", gap, idle, started=f"2026-11-0{n + 1}T03:23:00Z")), "utf-8")
        out = tmp_path / "history" / f"n{n}"
        out.mkdir(parents=True)
        (out / "fleet.json").write_text(json.dumps(_fleet.merge([path])), encoding="utf-8")
    fleet = _fleet.merge([tmp_path / "n1" / "results.json"])
    cells = {(c["call"], c["status"], c["night"]) for c in fleet["cells"]}
    assert cells == {
        ("chat.completions.create", "not-run", "not-run"),
        ("embeddings.create", "not-documented", "not-documented"),
    }
    md, html = fleet_markdown(fleet), fleet_html(fleet)
    for page in (md, html):
        assert "not documented" in page and "not run" in page
    trend = trend_markdown(_history.trend(_history.load_nights(tmp_path / "history", 14)))
    assert trend.count("\u25cb") > 1  # the legend, and the strip of the undocumented cell
