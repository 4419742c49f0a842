"""Install lines and dependency coordinates, resolved against the registries with each one's ordinary client.

pip and npm resolve without installing (``--dry-run``); ``go get`` runs as written in a scratch module under the
temp directory; Maven coordinates (the XML blocks and the Gradle line alike: Gradle is not on this machine and
reads the same repository) resolve with ``mvn dependency:get``. ``dotnet add package`` needs NuGet, which this
machine cannot reach: "not run", not a failure.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .extract import Block

MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get"
TIMEOUT = 240


@dataclass
class Resolution:
    command: str  # as the page wrote it
    outcome: str  # "resolved", "failed", "not run"
    detail: str  # resolved version, the first line of the error, or the reason it did not run
    line: int = 0
    evidence: list[str] = field(default_factory=list)  # further lines that explain the outcome


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        p = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return 124, f"timed out after {TIMEOUT} s"
    return p.returncode, (p.stdout or "") + (p.stderr or "")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error_line(output: str, markers: tuple[str, ...]) -> str:
    lines = [x.strip() for x in _ANSI.sub("", output).splitlines() if x.strip()]
    for line in lines:
        if line.startswith(markers):
            return line
    return lines[-1] if lines else ""


def resolve_pip(words: list[str], work: Path) -> Resolution:
    args = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--no-deps",
        *words[2:],
    ]
    # the registry's answer, not a local wheel folder's (pip's find-links configuration)
    code, out = _run(args, work, {**os.environ, "PIP_FIND_LINKS": ""})
    m = re.search(r"^Would install (.+)$", out, re.M)
    if code == 0 and m:
        return Resolution("", "resolved", m.group(1).strip())
    return Resolution("", "failed", _error_line(out, ("ERROR:",)))


def resolve_npm(words: list[str], work: Path) -> Resolution:
    if shutil.which("npm") is None:
        return Resolution("", "not run", "npm is not installed")
    prefix = work / "npm"
    prefix.mkdir(exist_ok=True)
    args = [
        "npm",
        *words[1:2],
        "--dry-run",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--prefix",
        str(prefix),
    ]
    code, out = _run(args + words[2:], work)
    added = re.findall(r"^add (\S+) (\S+)$", out, re.M)
    wanted = [f"{n} {v}" for n, v in added if n in words[2:]]
    if code == 0:
        return Resolution("", "resolved", ", ".join(wanted) or f"{len(added)} packages")
    return Resolution("", "failed", _error_line(out, ("npm error", "npm ERR!")))


def resolve_go(words: list[str], work: Path) -> Resolution:
    if shutil.which("go") is None:
        return Resolution("", "not run", "go is not installed")
    module = work / f"go-{len(list(work.glob('go-*')))}"
    module.mkdir()
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    code, out = _run(["go", "mod", "init", "scratch.example/docsnippet"], module, env)
    if code != 0:
        return Resolution("", "not run", _error_line(out, ("go:",)))
    code, out = _run(words, module, env)
    if code == 0:
        got = re.findall(r"^go: (?:added|upgraded) (\S+) (?:\S+ => )?(\S+)$", out, re.M)
        asked = [w.split("@")[0] for w in words[2:] if not w.startswith("-")]
        mine = [f"{p} {v}" for p, v in got if p in asked]
        return Resolution("", "resolved", ", ".join(mine) or f"{len(got)} modules added")
    detail = _error_line(out, ("go: ",))
    if re.search(r"dial tcp|no such host|proxyconnect|i/o timeout|connection refused", out):
        return Resolution("", "not run", "the Go module proxy is unreachable: " + detail)
    evidence = [x.strip() for x in out.splitlines() if x.strip() and x.strip() != detail][:3]
    evidence += major_version_rule(words, module, env)
    return Resolution("", "failed", detail, evidence=evidence)


def major_version_rule(words: list[str], module: Path, env: dict[str, str]) -> list[str]:
    """Go's module rule, asked of the toolchain offline: a path without /vN cannot take a vN (N >= 2) version."""
    for word in words:
        m = re.match(r"^([\w./-]+)@v(\d+)\.\d+\.\d+$", word)
        if not m or int(m.group(2)) < 2 or m.group(1).endswith(f"/v{m.group(2)}"):
            continue
        offline = {**env, "GOPROXY": "off"}
        rule = module.with_name(module.name + "-rule")  # its go.mod ends up unparsable, on purpose
        rule.mkdir()
        _run(["go", "mod", "init", "scratch.example/rule"], rule, offline)
        _run(["go", "mod", "edit", f"-require={word}"], rule, offline)
        _, out = _run(["go", "list", "-m", "all"], rule, offline)
        found = [x.strip() for x in out.splitlines() if "invalid" in x]
        notes = (
            [f"offline rule check (go mod edit -require={word}; go list -m all): {found[0]}"] if found else []
        )
        fixed = f"{m.group(1)}/v{m.group(2)}@{word.split('@', 1)[1]}"
        code, out = _run(["go", "get", fixed], module, env)
        notes.append(f"go get {fixed}: " + ("resolves" if code == 0 else _error_line(out, ("go: ",))))
        return notes
    return []


def resolve_maven(coordinates: str, work: Path) -> Resolution:
    if shutil.which("mvn") is None:
        return Resolution("", "not run", "mvn is not installed")
    # -U: a miss another run cached must not stand in for the repository's answer
    args = [
        "mvn",
        "-B",
        "-U",
        "-q",
        "-Dstyle.color=never",
        MAVEN_DEPENDENCY_PLUGIN,
        f"-Dartifact={coordinates}",
    ]
    code, out = _run(args, work)
    if code == 0:
        return Resolution("", "resolved", coordinates)
    detail = _error_line(out, ("[ERROR] Failed",))
    m = re.search(r"(Could not find artifact \S+ in \S+)|(Could not transfer artifact.*)", detail)
    return Resolution("", "failed", m.group(0) if m else detail, evidence=_maven_metadata(coordinates))


def _maven_metadata(coordinates: str) -> list[str]:
    """The versions Maven Central's metadata lists next to the one asked for."""
    group, artifact, version = coordinates.split(":")[:3]
    url = f"{MAVEN_CENTRAL}/{group.replace('.', '/')}/{artifact}/maven-metadata.xml"
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - a fixed https URL
            text = answer.read().decode("utf-8", "replace")
    except (OSError, ValueError) as e:
        return [f"{url}: not read ({e})"]
    versions = re.findall(r"<version>([^<]+)</version>", text)
    latest = re.search(r"<release>([^<]+)</release>", text)
    prefix = ".".join(version.split(".")[:2]) + "."
    near = [v for v in versions if v.startswith(prefix)]
    return [
        f"{url} lists {len(versions)} versions; {version} is {'among' if version in versions else 'not among'} them; "
        f"{prefix}x: {', '.join(near) or 'none'}; release {latest.group(1) if latest else '?'}"
    ]


def maven_coordinates(block: Block) -> list[tuple[int, str]]:
    if block.language == "gradle":
        found = re.findall(r"implementation\(\"([^\"]+)\"\)", block.code)
        return [(block.start, c) for c in found]
    group = re.search(r"<groupId>([^<]+)</groupId>", block.code)
    artifact = re.search(r"<artifactId>([^<]+)</artifactId>", block.code)
    version = re.search(r"<version>([^<]+)</version>", block.code)
    if group and artifact and version:
        return [(block.start, f"{group.group(1)}:{artifact.group(1)}:{version.group(1)}")]
    return []


def resolve_block(block: Block, work: Path | None = None) -> list[Resolution]:
    """Every install command (or coordinate) of one block, in page order."""
    with tempfile.TemporaryDirectory(prefix="docsnippets-install-") as tmp:
        base = Path(work or tmp)
        out: list[Resolution] = []
        if block.language in ("gradle", "xml"):
            for at, coordinates in maven_coordinates(block):
                r = resolve_maven(coordinates, base)
                r.command, r.line = block.code if block.language == "gradle" else coordinates, at
                if block.language == "gradle":
                    r.detail = "gradle is not installed; the same coordinates through mvn: " + r.detail
                out.append(r)
            return out
        for n, line in enumerate(block.lines):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            words = shlex.split(text)
            if words[:2] == ["dotnet", "add"]:
                r = Resolution("", "not run", "NuGet unreachable from this machine (and no .NET SDK)")
            elif words[0] == "pip":
                r = resolve_pip(words, base)
            elif words[0] == "npm":
                r = resolve_npm(words, base)
            elif words[0] == "go":
                r = resolve_go(words, base)
            else:
                r = Resolution("", "not run", f"no resolver for {words[0]}")
            r.command, r.line = text, block.start + n
            out.append(r)
        return out
