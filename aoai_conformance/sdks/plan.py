"""The plan of an SDK that has no driver here: what the harness would send it, captured from a replay.

``python -m aoai_conformance.sdks.plan --sdk dotnet [--out drivers/dotnet/plan.jsonl]`` replays the suites with
``--sdk dotnet`` through a stand-in driver that keeps each request (drivers/PROTOCOL.md) and answers "not run",
so each case is reported "not run: <reason>" and the plan holds one request per case that reaches a documented
call (its first call: the case stops there). Nothing is hand-written: the requests are the harness's own, with
what changes between runs made stable (the scope's URL, the driver's request number, replaced by the case id).

A driver built where NuGet is reachable answers the same requests (drivers/dotnet/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from .coverage import NO_DRIVER

# The scope's URL holds a free port and a fresh token, another local server's a free port: a plan keeps their
# place only.
SCOPE_URL = re.compile(r"https?://127\.0\.0\.1:\d+/p/[^/]+/")
SCOPE_PLACEHOLDER = "{scope}/"
LOOPBACK_URL = re.compile(r"https?://127\.0\.0\.1:\d+/")
LOOPBACK_PLACEHOLDER = "{loopback}/"


def stable(value: Any) -> Any:
    """``value`` with every scope URL, and any other local server's, replaced by its placeholder."""
    if isinstance(value, str):
        return LOOPBACK_URL.sub(LOOPBACK_PLACEHOLDER, SCOPE_URL.sub(SCOPE_PLACEHOLDER, value))
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def current_case() -> str:
    """The running case's id, as pytest names it while it runs (``PYTEST_CURRENT_TEST``)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


class PlanDriver:
    """A stand-in for an SDK's driver (the :class:`~.driver.Driver` interface): keeps every request in
    :data:`CAPTURED` and answers it "not run"."""

    captured: list[dict[str, Any]] = []

    def __init__(self, sdk: str, *, env: dict[str, str] | None = None) -> None:
        self.sdk = sdk
        self.version = ""
        self.reason = NO_DRIVER.get(sdk, f"no driver for SDK {sdk!r}")

    def start(self) -> dict[str, Any]:
        return {"sdk": self.sdk, "version": "", "plan": True}

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        PlanDriver.captured.append({**stable(request), "id": current_case()})
        return {"id": request.get("id"), "ok": False, "not_run": self.reason, "error": None}

    def close(self) -> None:
        return None


def capture(sdk: str, reports_dir: Path) -> list[dict[str, Any]]:
    """Replay the suites with ``--sdk sdk`` through :class:`PlanDriver`; the requests in case order."""
    import pytest

    from .. import paths
    from .harness import SdkRun

    SdkRun.make_driver = PlanDriver
    PlanDriver.captured = []
    args = [str(paths.suites()), "-p", "no:cacheprovider", "-p", "no:randomly", "-q"]
    args += ["--rootdir", str(paths.suites().parent), "--sdk", sdk, "--mode", "replay"]
    args += ["--reports-dir", str(reports_dir)]
    code = pytest.main(args)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise SystemExit(
            f"aoai-conformance: the replay for the {sdk} plan did not run (pytest exit {int(code)})"
        )
    return sorted(PlanDriver.captured, key=lambda r: r["id"])


def dumps(plan: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aoai_conformance.sdks.plan", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sdk", default="dotnet", help="an SDK with no driver here (default: dotnet)")
    parser.add_argument("--out", default=None, help="the plan file (default: drivers/<sdk>/plan.jsonl)")
    ns = parser.parse_args(argv)
    from .. import paths

    if ns.sdk not in NO_DRIVER:
        sys.stderr.write(f"aoai-conformance: {ns.sdk} has a driver; a plan is kept only for one without\n")
        return 2
    out = Path(ns.out) if ns.out else paths.drivers() / ns.sdk / "plan.jsonl"
    with tempfile.TemporaryDirectory(prefix="aoai-plan-") as tmp:
        plan = capture(ns.sdk, Path(tmp))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(plan))
    print(f"{out}: {len(plan)} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
