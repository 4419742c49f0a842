"""results.json -> compat.html + compat.md, and the run-to-run diff.

    from aoai_conformance import report
    results = report.load("reports/results.json")          # ReportInputError: one line, file + fix
    paths = report.render(results, Path("reports"), previous=report.load("previous/results.json"))
    changes = report.diff(previous, results)                # Diff(new_failures, fixed, new_drift, ...)

A fleet (issue 15): ``aoai-conformance report --merge A.json B.json ...`` (``_fleet.merge``: one night of several
targets, fleet.json/md/html) and ``report --history DIR`` (``_history.trend``: the last N nights, new vs flaky);
the command lines live in ``__main__`` (``merge_command``, ``history_command``), shared with the CLI.

The format is documented in RESULTS_FORMAT.md and results.schema.json next to this file. Rendering is
deterministic: the same input gives the same bytes, so two reports can be diffed.
"""

from __future__ import annotations

from pathlib import Path

from ..files import write_atomic
from . import _model
from ._diff import Diff, diff
from ._html import render_html
from ._markdown import render_markdown
from ._model import FORMAT, STATUS_INFO, STATUSES, VERSION, ReportInputError, cell_status, check, load

__all__ = [
    "FORMAT",
    "VERSION",
    "STATUSES",
    "STATUS_INFO",
    "Diff",
    "ReportInputError",
    "cell_status",
    "check",
    "diff",
    "load",
    "render",
    "render_html",
    "render_markdown",
    "schema_path",
]


def schema_path() -> Path:
    """Where results.schema.json lives (it ships inside the package)."""
    return Path(__file__).with_name("results.schema.json")


def render(results: dict, out_dir: Path, previous: dict | None = None) -> dict[str, Path]:
    """Write compat.html and compat.md into ``out_dir`` (created if needed); return {"html": ..., "md": ...}.

    With ``previous`` (an earlier results.json) both reports lead with what changed since then.
    """
    check(results, "results")
    if previous is not None:
        check(previous, "previous results")
    changes = diff(previous, results) if previous is not None else None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = _model.view(results, previous)  # computed once, rendered twice
    written = {
        "html": write_atomic(out_dir / "compat.html", render_html(results, changes, previous, shown)),
        "md": write_atomic(out_dir / "compat.md", render_markdown(results, changes, previous, shown)),
    }
    return written
