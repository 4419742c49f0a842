"""A driver process per SDK (drivers/PROTOCOL.md): started once, hello read, one request in, one result out.

A driver whose toolchain or build is missing is :class:`NotRun` with its reason (the SDK's column says "not run:
<reason>", never a traceback). The harness keeps its own timeout over the driver's watchdog (``deadline_ms``): a
driver that answers nothing in time is killed, the call gets a ``HarnessTimeout`` result, and the next request
starts a new process. A driver that dies mid-call gives a ``DriverCrash`` result in one line (its last stderr
line). ``AOAI_CONFORMANCE_DRIVER_<SDK>`` replaces the start command (the own tests' fake driver).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import shlex
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths

HELLO_TIMEOUT = 120.0  # a JVM and azure-identity's class loading on a busy 2-core machine
MARGIN = 10.0  # the harness waits this long past the driver's own deadline


class NotRun(Exception):
    """The SDK cannot run here; the message is the reason, one line."""


@dataclass(frozen=True)
class Spec:
    """How PROTOCOL.md starts a driver and what its build leaves behind; ``version`` is the SDK matrix's
    ``AOAI_CONFORMANCE_<SDK>_OPENAI`` (empty: the pinned version), which each build installs beside the pin."""

    tools: tuple[str, ...]

    def built(self, sdk: str, version: str) -> str:
        """A file the build writes, relative to the driver's folder."""
        if sdk == "node":
            return (
                f"versions/{version}/node_modules/openai/package.json"
                if version
                else "node_modules/openai/package.json"
            )
        if sdk == "go":
            return f"bin/driver-{version}" if version else "bin/driver"
        return f"target-openai-{version}/classpath.txt" if version else "target/classpath.txt"

    def command(self, sdk: str, folder: Path, version: str) -> list[str]:
        if sdk == "node":
            return ["node", "driver.mjs"]  # it reads AOAI_CONFORMANCE_NODE_OPENAI itself
        if sdk == "go":
            return [str(folder / self.built(sdk, version))]
        target = f"target-openai-{version}" if version else "target"
        classpath = (folder / target / "classpath.txt").read_text().strip()
        return ["java", "-cp", f"{target}/classes:{classpath}", "conformance.Driver"]


SPECS = {"node": Spec(("node",)), "go": Spec(()), "java": Spec(("java",))}


def matrix_version(sdk: str) -> str:
    """The SDK matrix's version for this SDK (``AOAI_CONFORMANCE_NODE_OPENAI`` ...), or "" for the pin."""
    return os.environ.get(f"AOAI_CONFORMANCE_{sdk.upper()}_OPENAI", "").strip()


def drivers_dir() -> Path:
    return paths.drivers()


# Replay runs offline. Python's socket guard (cassettes/guard.py) does not reach a driver's process, so each
# runtime is pointed at a closed loopback port for anything but loopback: Go's net/http through the proxy
# variables, the JVM through its proxy properties (OkHttp asks the default ProxySelector), and Node, whose fetch
# ignores proxy variables, through the driver's own guard (drivers/node/driver.mjs). Loopback, where the SDK server
# listens, is never proxied.
CLOSED_PORT = "http://127.0.0.1:9"
LOOPBACK = "127.0.0.1,localhost,::1"
NETWORK_GUARD = {
    "HTTP_PROXY": CLOSED_PORT,
    "HTTPS_PROXY": CLOSED_PORT,
    "http_proxy": CLOSED_PORT,
    "https_proxy": CLOSED_PORT,
    "NO_PROXY": LOOPBACK,
    "no_proxy": LOOPBACK,
    "JAVA_TOOL_OPTIONS": "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=9 -Dhttps.proxyHost=127.0.0.1 "
    "-Dhttps.proxyPort=9 -Dhttp.nonProxyHosts=127.0.0.1|localhost",
    "AOAI_CONFORMANCE_NETWORK_GUARD": "1",
}


class Driver:
    """One SDK's driver process."""

    def __init__(self, sdk: str, *, env: dict[str, str] | None = None, folder: Path | None = None) -> None:
        self.sdk = sdk
        self.folder = folder or drivers_dir() / sdk
        self.extra_env = dict(env or {})
        self.hello: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._ids = 0
        self._lock = threading.Lock()

    # ---- lifecycle
    def command(self) -> list[str]:
        override = os.environ.get(f"AOAI_CONFORMANCE_DRIVER_{self.sdk.upper()}")
        if override:
            return shlex.split(override)
        spec = SPECS.get(self.sdk)
        if spec is None:
            from .coverage import NO_DRIVER

            raise NotRun(NO_DRIVER.get(self.sdk, f"no driver for SDK {self.sdk!r}"))
        missing = [t for t in spec.tools if shutil.which(t) is None]
        if missing:
            raise NotRun(f"{missing[0]} is not installed (needed by drivers/{self.sdk})")
        version = matrix_version(self.sdk)
        if not (self.folder / spec.built(self.sdk, version)).exists():
            env = f"AOAI_CONFORMANCE_{self.sdk.upper()}_OPENAI={version} " if version else ""
            raise NotRun(f"drivers/{self.sdk} is not built: run {env}drivers/{self.sdk}/build")
        return spec.command(self.sdk, self.folder, version)

    def start(self) -> dict[str, Any]:
        """Start the process and read its hello line (NotRun when it cannot)."""
        command = self.command()
        env = {**os.environ, **self.extra_env}
        try:
            self._proc = subprocess.Popen(
                command,
                cwd=self.folder if self.folder.is_dir() else None,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
                env=env,
            )
        except OSError as exc:
            raise NotRun(f"drivers/{self.sdk} did not start: {exc}") from None
        self._lines = queue.Queue()
        proc = self._proc
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()
        threading.Thread(target=self._drain, args=(proc,), daemon=True).start()
        line = self._read(HELLO_TIMEOUT)
        hello = _json(line)
        if not isinstance(hello, dict) or not isinstance(hello.get("hello"), dict):
            self.close()
            why = "no hello line in time" if line is None else f"a bad hello line {line[:80]!r}"
            raise NotRun(f"drivers/{self.sdk} gave {why}{self._last_stderr()}")
        self.hello = hello["hello"]
        return self.hello

    @property
    def version(self) -> str:
        return str(self.hello.get("version") or "")

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=5)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait(timeout=5)

    # ---- I/O
    def _pump(self, proc: subprocess.Popen[str]) -> None:
        lines = self._lines
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)  # EOF: the process ended

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.strip():
                self._stderr.append(line.rstrip())

    def _read(self, timeout: float) -> str | None:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def _last_stderr(self) -> str:
        return f" ({self._stderr[-1][:200]})" if self._stderr else ""

    def request(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request, return its result (a failed result, never an exception, when the driver breaks)."""
        with self._lock:
            if not self.alive:
                self.start()
            self._ids += 1
            rid = str(self._ids)
            request = {**request, "id": rid}
            wait = timeout if timeout is not None else request.get("deadline_ms", 60000) / 1000 + MARGIN
            proc = self._proc
            assert proc is not None and proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
            except OSError:
                return self._broken(rid, "DriverCrash", "the driver's stdin is closed")
            deadline = time.monotonic() + wait
            while True:
                line = self._read(max(0.0, deadline - time.monotonic()))
                if line is None:
                    if self.alive and time.monotonic() >= deadline:
                        self._kill()
                        return self._broken(
                            rid, "HarnessTimeout", f"no result within {wait:g}s", timeout=True
                        )
                    time.sleep(0.05)  # let stderr's last line arrive
                    code = proc.poll()
                    self._proc = None
                    return self._broken(
                        rid, "DriverCrash", f"the driver exited ({code}){self._last_stderr()}"
                    )
                result = _json(line)
                if isinstance(result, dict) and str(result.get("id")) == rid:
                    return result
                # a late result of an earlier request, or a stray line: skip it

    def _broken(self, rid: str, cls: str, message: str, timeout: bool = False) -> dict[str, Any]:
        return {
            "id": rid,
            "ok": False,
            "error": {"class": cls, "status": None, "message": f"drivers/{self.sdk}: {message}"},
            "harness_timeout": timeout,
            "driver_broken": True,
        }


def _json(line: str | None) -> Any:
    if line is None:
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None


def installed_version(sdk: str, folder: Path | None = None) -> str | None:
    """The SDK's version as the driver's build pinned it, read from its files without starting it (None when it
    is not built): node's installed ``openai/package.json``, go's ``go.mod`` require line, java's ``pom.xml``."""
    import re

    folder = folder or drivers_dir() / sdk
    matrix = matrix_version(sdk)
    try:
        if sdk == "node":
            return str(json.loads((folder / SPECS["node"].built("node", matrix)).read_text())["version"])
        if matrix:
            return matrix.lstrip("v")
        if sdk == "go":
            found = re.search(
                r"github\.com/openai/openai-go(?:/v\d+)?\s+v(\S+)", (folder / "go.mod").read_text()
            )
            return found.group(1) if found else None
        if sdk == "java":
            text = (folder / "pom.xml").read_text()
            found = re.search(r"<artifactId>openai-java</artifactId>\s*<version>([^<]+)</version>", text)
            value = found.group(1) if found else None
            prop = re.fullmatch(r"\$\{(.+)\}", value or "")
            if prop:  # a property of the pom: <openai.version>4.0.1</openai.version>
                found = re.search(rf"<{re.escape(prop.group(1))}>([^<]+)</", text)
                value = found.group(1) if found else None
            return value
    except (OSError, ValueError, KeyError):
        return None
    return None
