"""The trend of the last N nights (issue 15): one strip per fleet cell (call x target x SDK), the first night
each failure was seen, and a verdict that keeps a one-in-three flake from being called "new" every third night.

A night is one fleet.json (``aoai-conformance report --merge``). Per cell and night the strip holds ``pass``,
``fail``, ``skipped``, ``not-applicable``, ``not-documented`` (that SDK's section does not document it),
``not-checked`` (the target's cases were mostly skipped: nothing was checked, which is not a pass) or ``not-run``. Only ``pass`` and ``fail`` nights count ("checked nights").

The verdict of a cell over the window, from its checked nights in order (a flip is a change pass <-> fail):

- ``new``: failing on its last checked night, no earlier failure in the window: it passed before the failure
  started (one flip), or the cell has no checked night before it in the window (a new target or test). A
  promise broken from night 12 on is new on nights 12, 13, 14 ... until it fills the window.
- ``flaky``: two flips or more: it failed k of its n checked nights and passed in between. Never new.
- ``known``: failing on every checked night of a full window (N nights of history), from its first night on.
  Until the history holds N nights, a failure there from the start is still ``new``: when it began is unknown.
- ``fixed``: failed, then passed on every checked night since (one flip).
- ``ok``: never failed in the window.

Pure functions of their input; the same nights give the same page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import _model as m
from ._fleet import load_fleet

DEFAULT_NIGHTS = 14
CHECKED = ("pass", "fail")
VERDICT_ORDER = ("new", "flaky", "known", "fixed", "ok")


@dataclass
class Night:
    label: str  # the night's date and time (fleet.json's "night"), or its file's folder when undated
    path: str
    fleet: dict
    states: dict[str, str]  # target -> checked | not-checked | not-run


@dataclass
class Strip:
    call: str
    target: str
    sdk: str
    statuses: list[str]  # one per night of the window
    verdict: str = "ok"
    failed: int = 0
    checked: int = 0
    first_seen: str = ""  # the first night of the window it failed ("" if never)
    since_before_window: bool = False  # it already failed on the window's first night
    region: str = ""
    model_versions: list[str] = field(default_factory=list)
    promises: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        sdk = f" [{self.sdk} SDK]" if self.sdk != "python" else ""
        return f"{self.call} on {self.target}{sdk}"

    @property
    def where(self) -> str:
        return f"region {self.region or 'unknown'}, model {', '.join(self.model_versions) or 'unknown'}"

    @property
    def verdict_text(self) -> str:
        if self.verdict == "flaky":
            return f"flaky (failed {self.failed} of {self.checked})"
        if self.verdict == "new":
            return f"new (since {self.first_seen})"
        if self.verdict == "known":
            return f"known (failing since {'before ' if self.since_before_window else ''}{self.first_seen})"
        return self.verdict


@dataclass
class Trend:
    nights: list[Night]
    strips: list[Strip]
    multi_sdk: bool
    since_last: list[Strip]  # failing last night, not on the night before (the diff: the headline)
    fixed_since_last: list[Strip]

    def by(self, verdict: str) -> list[Strip]:
        return [s for s in self.strips if s.verdict == verdict]

    @property
    def last_states(self) -> dict[str, str]:
        return self.nights[-1].states if self.nights else {}


def find_nights(directory: Path) -> list[Path]:
    """Every fleet.json under ``directory`` (a night per file, e.g. DIR/2026-11-30/fleet.json)."""
    if not directory.is_dir():
        raise m.ReportInputError(
            f"{directory}: not a folder of nights; pass the folder holding each night's fleet.json "
            "(aoai-conformance report --merge ... --out DIR/NIGHT)"
        )
    found = sorted(directory.rglob("fleet.json"))
    if not found:
        raise m.ReportInputError(f"{directory}: no fleet.json in it; merge a night first (report --merge)")
    return found


def load_nights(directory: Path, count: int = DEFAULT_NIGHTS) -> list[Night]:
    """The last ``count`` nights under ``directory``, oldest first (ordered by their date, then path)."""
    if count < 1:
        raise m.ReportInputError(f"--nights {count}: give at least 1")
    nights = []
    for path in find_nights(directory):
        fleet = load_fleet(path)
        label = m.text(fleet.get("night")) or path.parent.name
        states = {
            m.text(t.get("name")): m.text(t.get("state")) for t in fleet["targets"] if isinstance(t, dict)
        }
        nights.append(Night(label=label, path=str(path), fleet=fleet, states=states))
    nights.sort(key=lambda n: (n.label, n.path))
    return nights[-count:]


def trend(nights: list[Night], window: int = DEFAULT_NIGHTS) -> Trend:
    """The strips of these nights (oldest first); ``window`` is N, so a history shorter than N is not full."""
    keys: dict[tuple[str, str, str], dict] = {}
    for night in nights:
        for cell in night.fleet["cells"]:
            if isinstance(cell, dict):
                keys[
                    (
                        m.text(cell.get("call")),
                        m.text(cell.get("target")),
                        m.text(cell.get("sdk")) or "python",
                    )
                ] = cell
    index = [
        {
            (m.text(c.get("call")), m.text(c.get("target")), m.text(c.get("sdk")) or "python"): c
            for c in n.fleet["cells"]
        }
        for n in nights
    ]
    strips = []
    for key in sorted(keys):
        statuses = []
        for night, cells in zip(nights, index):
            state = night.states.get(key[1], "not-run")
            cell = cells.get(key)
            if state == "not-checked":
                statuses.append("not-checked")
            elif state == "not-run" or cell is None:
                statuses.append("not-run")
            else:
                statuses.append(m.text(cell.get("night")) or "fail")
        latest = next((c[key] for c in reversed(index) if key in c), keys[key])
        strip = Strip(
            *key,
            statuses=statuses,
            region=m.text(latest.get("region")),
            model_versions=[m.text(v) for v in m.as_list(latest.get("model_versions"))],
            promises=sorted({p for c in index if key in c for p in m.as_list(c[key].get("promises"))}),
        )
        _judge(strip, [n.label for n in nights], full=len(nights) >= window)
        strips.append(strip)
    strips.sort(key=lambda s: (VERDICT_ORDER.index(s.verdict), s.call, s.target, s.sdk))
    since, fixed = _since_last(strips)
    return Trend(nights, strips, len({s.sdk for s in strips}) > 1, since, fixed)


def _judge(strip: Strip, labels: list[str], full: bool) -> None:
    checked = [(i, s) for i, s in enumerate(strip.statuses) if s in CHECKED]
    strip.checked = len(checked)
    strip.failed = sum(1 for _, s in checked if s == "fail")
    if not strip.failed:
        return
    first = next(i for i, s in checked if s == "fail")
    strip.first_seen = labels[first]
    strip.since_before_window = first == 0 and full
    flips = sum(1 for (_, a), (_, b) in zip(checked, checked[1:]) if a != b)
    failing_now = checked[-1][1] == "fail"
    if flips >= 2:
        strip.verdict = "flaky"
    elif not failing_now:
        strip.verdict = "fixed"
    elif flips == 0 and first == 0 and full:
        strip.verdict = "known"
    else:  # it passed before, did not exist before, or the history is too short to say: it began in the window
        strip.verdict = "new"


def _since_last(strips: list[Strip]) -> tuple[list[Strip], list[Strip]]:
    """Cells whose last checked night differs from the one before it: the headline diff, night to night."""
    since: list[Strip] = []
    fixed: list[Strip] = []
    for s in strips:
        checked = [x for x in s.statuses if x in CHECKED]
        if s.statuses and s.statuses[-1] in CHECKED and len(checked) >= 2 and checked[-1] != checked[-2]:
            (since if checked[-1] == "fail" else fixed).append(s)
    return since, fixed


def fail_on_new(t: Trend) -> tuple[int, list[str]]:
    """(exit code, lines to print) for ``--fail-on new``: 1 for new failures only, known flakes ignored and said
    so; 3 (nothing checked) when nothing is new but a target of the last night was not checked or not run."""
    lines = []
    new, flaky = t.by("new"), [s for s in t.by("flaky") if s.statuses and s.statuses[-1] == "fail"]
    for s in new:
        lines.append(f"NEW: {s.name} ({s.where}): failing since {s.first_seen} ({', '.join(s.promises)})")
    if flaky:
        names = "; ".join(f"{s.name}: failed {s.failed} of {s.checked}" for s in flaky)
        lines.append(f"ignored {len(flaky)} known flaky cell(s) failing last night ({names})")
    unchecked = {n: st for n, st in t.last_states.items() if st != "checked"}
    for name, state in sorted(unchecked.items()):
        lines.append(f"{state.upper().replace('-', ' ')}: {name} on the last night ({t.nights[-1].label})")
    if new:
        lines.append(f"{len(new)} new failure(s): exit 1 (--fail-on new)")
        return 1, lines
    code = 3 if unchecked else 0
    lines.append(
        f"no new failures: exit {code} (--fail-on new{'; nothing checked is not a pass' if code else ''})"
    )
    return code, lines
