"""The SDK matrix's columns: one SDK version each, installed or built, then the bundled cassettes replayed.

- Python: a venv per version (``ensure_venv``) with this project editable and that ``openai`` pinned, then its
  ``aoai-conformance run --mode replay``.
- Node, Go, Java: ``drivers/<sdk>/build`` with ``AOAI_CONFORMANCE_<SDK>_OPENAI=<version>`` (left unset for the
  version the driver pins, so the pinned build is the one used), then this project's
  ``aoai-conformance run --mode replay --sdk <sdk>`` with the same variable.

Whatever keeps a column from running (no toolchain, a failed build, a version the registry does not serve) is
that column's ``problem``, one line: the matrix shows "not run: <problem>".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

from ..modes import REPLAY
from .table import column, folder

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent.parent
DRIVERS = ROOT / "drivers"

# Oldest first. Python 1.55.3: the oldest 1.x that works with today's httpx 0.28 (older 1.x pass `proxies=` to
# httpx.Client, which 0.28 removed), and older than client.responses (1.66.0) and callable api_key (the
# documented Entra ID tab, 1.106.0), so the matrix shows what a long-lived pin misses; then the newest 1.x, 2.x, 3.x.
# Node: the pin, and 6.25.0, the last 6.x that caps retry-after at 60 s (7.x needs Node >= 22). Go: the pin
# (the docs' v2.1.1), the newest v2, the newest v3 (which refuses the documented Entra client). Java: the docs'
# 4.0.1 (not served), the pin 4.0.0 and the newest.
DEFAULTS: dict[str, tuple[str, ...]] = {
    "python": ("1.55.3", "1.109.1", "2.54.0", "3.54.0"),
    "node": ("6.25.0", "6.49.0"),
    "go": ("v2.1.1", "v2.7.1", "v3.99.0"),
    "java": ("4.0.1", "4.0.0", "4.101.0"),
}
DEFAULT_VERSIONS = DEFAULTS["python"]
# Versions the documentation names that the registry does not serve: a column that says so, no build tried.
NOT_SERVED = {
    ("java", "4.0.1"): "4.0.1 not on Maven Central (the version the docs pin; drivers/java/FINDINGS.md)",
}
TOOLS = {"node": ("node", "npm"), "go": ("go",), "java": ("java", "mvn")}
BUILD_TIMEOUT = 1800.0  # a first Maven or npm install on a slow network
RUN_TIMEOUT = 1800.0


def cache_dir() -> Path:
    base = os.environ.get("AOAI_SDK_MATRIX_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "aoai-conformance" / "sdk-matrix"


def requirements(version: str, root: Path = ROOT) -> list[str]:
    """The project's dependencies with ``openai`` pinned to ``version``.

    httpx2 is added for 1.x/2.x too: suites may import it, and openai <3 never uses it (the engine patches the
    library ``openai._base_client`` imports), so its presence changes nothing for those SDKs.
    """
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    deps = [d for d in data["project"]["dependencies"] if _name(d) not in ("openai", "nox")]
    return sorted({*deps, f"openai=={version}", "httpx2"})


def _name(requirement: str) -> str:
    for i, ch in enumerate(requirement):
        if ch in "<>=!~[; ":
            return requirement[:i].strip().lower()
    return requirement.strip().lower()


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


def _last_line(*texts: str) -> str:
    for text in texts:
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines:
            return lines[-1][:300]
    return "(no output)"


@dataclass
class Run:
    sdk: str
    version: str
    reports: Path
    code: int | None = None  # aoai-conformance's exit code (0 ok, 1 failures, 2 usage); None: not run
    problem: str | None = None  # why this column has no results (install, build or run failure), one line
    log: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return column(self.sdk, self.version)


def ensure_venv(version: str, cache: Path, root: Path = ROOT, log: list[str] | None = None) -> Path:
    """A venv with this project (editable, no deps) and its dependencies with openai==version; reused when the
    same requirements are already installed there (no network then)."""
    env = cache / version
    reqs = requirements(version, root)
    stamp = hashlib.sha256(json.dumps([str(root), sys.version_info[:2], reqs]).encode()).hexdigest()[:16]
    marker = env / ".aoai-sdk-matrix"
    if marker.is_file() and marker.read_text().strip() == stamp and _bin(env, "aoai-conformance").exists():
        return env
    has_pip = any(env.glob("lib*/python*/site-packages/pip")) or (env / "Lib/site-packages/pip").is_dir()
    if not (_bin(env, "python").exists() and has_pip):  # none yet, or one whose creation was cut short
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    py = str(_bin(env, "python"))
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    for cmd in ([*pip, *reqs], [*pip, "--no-deps", "-e", str(root)]):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if log is not None:
            log.append(" ".join(cmd))
        if done.returncode != 0:
            raise RuntimeError(
                f"pip install failed for openai=={version}: {_last_line(done.stderr, done.stdout)}"
            )
    marker.write_text(stamp + "\n")
    return env


# --- the other SDKs: their drivers ------------------------------------------------------------------------
def pinned(sdk: str, drivers: Path = DRIVERS) -> str:
    """The version a driver pins (its build without the variable): package.json, go.mod, pom.xml."""
    try:
        if sdk == "node":
            return str(json.loads((drivers / "node/package.json").read_text())["dependencies"]["openai"])
        if sdk == "go":
            found = re.search(
                r"github\.com/openai/openai-go(?:/v\d+)? (v\S+)", (drivers / "go/go.mod").read_text()
            )
        else:
            found = re.search(
                r"<openai\.version>([^<]+)</openai\.version>", (drivers / "java/pom.xml").read_text()
            )
        return found.group(1) if found else ""
    except (OSError, ValueError, KeyError):
        return ""


def normalise(sdk: str, version: str) -> str:
    """Go versions are module versions (``v2.7.1``); ``2.7.1`` is taken for one."""
    return "v" + version if sdk == "go" and version[:1].isdigit() else version


def variable(sdk: str) -> str:
    return f"AOAI_CONFORMANCE_{sdk.upper()}_OPENAI"


def driver_env(sdk: str, version: str, drivers: Path = DRIVERS) -> dict[str, str]:
    """The environment a column builds and runs in: no other AOAI_CONFORMANCE_ setting of the caller's, and
    the version variable unless the version is the driver's pin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOAI_CONFORMANCE_")}
    if version != pinned(sdk, drivers):
        env[variable(sdk)] = version
    return env


def missing_tool(sdk: str) -> str | None:
    for tool in TOOLS.get(sdk, ()):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (needed by drivers/{sdk}/build)"
    return None


def build_driver(run: Run, drivers: Path = DRIVERS) -> None:
    """``drivers/<sdk>/build`` for this version; its one-line error becomes the column's problem."""
    problem = NOT_SERVED.get((run.sdk, run.version)) or missing_tool(run.sdk)
    if problem:
        run.problem = problem
        return
    env = driver_env(run.sdk, run.version, drivers)
    cmd = [str(drivers / run.sdk / "build")]
    run.log.append(" ".join(f"{k}={v}" for k, v in env.items() if k == variable(run.sdk)) + " " + cmd[0])
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=BUILD_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        run.problem = f"drivers/{run.sdk}/build did not finish: {type(exc).__name__}"
        return
    if done.returncode != 0:
        run.problem = f"build failed: {_last_line(done.stderr, done.stdout)}"


def built(run: Run, drivers: Path = DRIVERS) -> bool:
    """Whether the driver for this version is there (the run without a build: --no-build, the own test)."""
    from ..sdks.driver import SPECS

    version = "" if run.version == pinned(run.sdk, drivers) else run.version
    return (drivers / run.sdk / SPECS[run.sdk].built(run.sdk, version)).exists()


def replay(run: Run, command: list[str], env: dict[str, str], extra: list[str], root: Path = ROOT) -> None:
    cmd = [*command, "run", "--mode", REPLAY.name, "--reports-dir", str(run.reports), "-q", *extra]
    run.log.append(" ".join(cmd))
    run.reports.mkdir(parents=True, exist_ok=True)
    stale = run.reports / "results.json"
    stale.unlink(missing_ok=True)  # a previous run's results must not pass for this one's
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, cwd=root, env=env, timeout=RUN_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        run.problem = f"aoai-conformance run did not finish: {type(exc).__name__}"
        return
    (run.reports / "run.log").write_text(done.stdout + "\n--- stderr ---\n" + done.stderr, encoding="utf-8")
    run.code = done.returncode
    if not stale.is_file():
        run.problem = f"no results.json (exit {done.returncode}): {_last_line(done.stderr, done.stdout)}"


def prepare(run: Run, cache: Path, build: bool, drivers: Path = DRIVERS) -> None:
    """Install (Python) or build (the others) the column's SDK; a failure is the column's problem."""
    if run.sdk == "python":
        try:
            ensure_venv(run.version, cache, ROOT, run.log)
        except (RuntimeError, OSError) as exc:
            run.problem = str(exc)
        return
    if build:
        build_driver(run, drivers)
    elif (run.sdk, run.version) in NOT_SERVED:
        run.problem = NOT_SERVED[(run.sdk, run.version)]
    if not run.problem and not built(run, drivers):
        env = variable(run.sdk) + "=" + run.version + " " if run.version != pinned(run.sdk, drivers) else ""
        run.problem = f"drivers/{run.sdk} is not built for {run.version}: run {env}drivers/{run.sdk}/build"


def execute(run: Run, cache: Path, extra: list[str], drivers: Path = DRIVERS) -> None:
    """Replay the cassettes for a prepared column."""
    if run.problem:
        return
    if run.sdk == "python":
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AOAI_CONFORMANCE_", "VIRTUAL_ENV"))}
        replay(run, [str(_bin(cache / run.version, "aoai-conformance"))], env, extra)
        return
    command = [sys.executable, "-c", "import sys; from aoai_conformance.cli import main; sys.exit(main())"]
    replay(run, command, driver_env(run.sdk, run.version, drivers), [*extra, "--sdk", run.sdk])


def new_run(sdk: str, version: str, out: Path) -> Run:
    return Run(sdk, version, out / folder(column(sdk, version)))
