"""Each block as the page writes it, against a fresh stand-in: Python with this interpreter, JavaScript with node
and the Node driver's packages, Go in a scratch module on the Go driver's go.mod/go.sum, Java compiled with javac
on the Java driver's classpath. A missing toolchain or driver build makes the block "not run", with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..sdks.tls import TLSFront, certificate
from ..standin import DEFAULT_DEPLOYMENTS, Deployment, StandIn
from ..standin.common import CHAT, RESPONSES
from .extract import OUTPUT, Block
from .install import resolve_block
from .substitute import KEY_ENV, TOKEN_ENV, URL_ENV, Prepared, java_class_index, prepare, restore_indentation

REPO = Path(__file__).resolve().parents[2]
DRIVERS = REPO / "drivers"
TIMEOUT = 120
# The models the pages name, as the deployments of the stand-in's resource ("gpt-4.1": the Java example's).
DEPLOYMENTS = {
    **DEFAULT_DEPLOYMENTS,
    "gpt-4.1": Deployment("gpt-4.1-2025-04-14", frozenset({CHAT, RESPONSES})),
}
JAVA_NO_NETWORK = "conformance.NoNetworkHttpClientProvider"
STANDIN_KEY = "standin-key"
STANDIN_TOKEN = "standin-token"

RAN, RESOLVED = "ran", "resolved"
COMPILE_ERROR, RUNTIME_ERROR = "compile error", "runtime error"
INSTALL_FAILED, FRAGMENT, NOT_RUN, SAMPLE = "install line failed", "fragment", "not run", "sample output"
OK_OUTCOMES = (RAN, RESOLVED)
# Errors that say the block uses a name it never defines: a piece of a program, not a program.
_UNDEFINED = re.compile(r"NameError: name|ReferenceError: \w+ is not defined|cannot find symbol|undefined: ")


@dataclass
class Result:
    block: Block
    outcome: str
    detail: str = ""
    substitutions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    same_as: str = ""  # a Markdown page's block with the same lines (rendered Python blocks)
    seconds: float = 0.0


def scrub(text: str) -> str:
    return text.replace(STANDIN_KEY, "<stand-in key>").replace(STANDIN_TOKEN, "<stand-in token>")


def _first_error(output: str, pattern: str, last: bool = False) -> str:
    """The line that says what went wrong: the first matching one (the last, for Python's tracebacks)."""
    lines = [x.strip() for x in output.splitlines() if x.strip()]
    order = list(enumerate(lines))
    for i, line in reversed(order) if last else order:
        if re.search(pattern, line):
            # javac and go name the symbol on the lines after "cannot find symbol"
            symbol = [x for x in lines[i + 1 : i + 4] if x.startswith("symbol:")]
            if "cannot find symbol" in line and symbol:
                return f"{line} ({symbol[0]})"
            return line
    return lines[-1] if lines else ""


def _exec(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    try:
        p = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
        return 124, out, f"timed out after {TIMEOUT} s"
    return p.returncode, p.stdout, p.stderr


class Toolchains:
    """What each language needs, looked up once: the reason a language cannot run, or None."""

    def __init__(self, drivers: Path = DRIVERS):
        self.drivers = drivers
        self.node_modules = drivers / "node" / "node_modules"
        self.go_mod = drivers / "go" / "go.mod"
        self.classpath_file = drivers / "java" / "target" / "classpath.txt"
        self._java_index: Optional[dict[str, list[str]]] = None

    def missing(self, language: str) -> Optional[str]:
        if language == "python":
            return None
        if language == "javascript":
            if shutil.which("node") is None:
                return "node is not installed"
            if (
                not (self.node_modules / "openai").is_dir()
                or not (self.node_modules / "@azure" / "identity").is_dir()
            ):
                return "the Node driver's packages are not installed (run drivers/node/build)"
            return None
        if language == "go":
            if shutil.which("go") is None:
                return "go is not installed"
            if not self.go_mod.is_file() or not self.go_mod.with_name("go.sum").is_file():
                return "drivers/go/go.mod or go.sum is missing (run drivers/go/build)"
            return None
        if language == "java":
            if shutil.which("javac") is None or shutil.which("java") is None:
                return "javac/java are not installed"
            if not self.classpath_file.is_file():
                return "drivers/java/target/classpath.txt is missing (run drivers/java/build)"
            return None
        if language == "csharp":
            return "no .NET SDK on this machine, and NuGet (its packages) is unreachable"
        return f"no runner for {language}"

    @property
    def classpath(self) -> list[Path]:
        text = self.classpath_file.read_text(encoding="utf-8").strip()
        return [Path(p) for p in text.split(os.pathsep) if p]

    def java_index(self) -> dict[str, list[str]]:
        if self._java_index is None:
            self._java_index = java_class_index(self.classpath)
        return self._java_index


def snippet_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OPENAI_", "AOAI_"))}
    env.update({URL_ENV: base_url, TOKEN_ENV: STANDIN_TOKEN, **{k: STANDIN_KEY for k in KEY_ENV}})
    return env


def _guarded(env: dict[str, str]) -> dict[str, str]:
    # Anything a block sends past the stand-in goes to a closed port instead of the network.
    dead = "http://127.0.0.1:9"
    return {
        **env,
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "http_proxy": dead,
        "https_proxy": dead,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


# --- per language: (outcome, detail) ---------------------------------------------------------------------------
_PY_BOOT = f'''"""Binds azure.identity.DefaultAzureCredential to a fixed-token credential, then runs the block."""
import os, runpy, sys, time
import azure.identity
from azure.core.credentials import AccessToken, AccessTokenInfo

class FixedTokenCredential:
    def __init__(self, *args, **kwargs):
        self._token = os.environ["{TOKEN_ENV}"]
    def get_token(self, *scopes, **kwargs):
        return AccessToken(self._token, int(time.time()) + 3600)
    def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo(self._token, int(time.time()) + 3600)
    def close(self):
        pass

azure.identity.DefaultAzureCredential = FixedTokenCredential
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
'''


def run_python(prepared: Prepared, work: Path, env: dict[str, str], tools: Toolchains) -> tuple[str, str]:
    try:
        compile(prepared.code, "snippet.py", "exec")
    except SyntaxError as e:
        return COMPILE_ERROR, f"{type(e).__name__}: {e.msg} (block line {e.lineno})"
    (work / "boot.py").write_text(_PY_BOOT, encoding="utf-8")
    (work / "snippet.py").write_text(prepared.code + "\n", encoding="utf-8")
    code, out, err = _exec([sys.executable, "boot.py", "snippet.py"], work, _guarded(env))
    if code != 0:
        return RUNTIME_ERROR, _first_error(err, r"^[\w.]+(Error|Exception|Exit)\b|timed out", last=True)
    return RAN, ""


def run_javascript(prepared: Prepared, work: Path, env: dict[str, str], tools: Toolchains) -> tuple[str, str]:
    (work / "node_modules").symlink_to(tools.node_modules.resolve(), target_is_directory=True)
    (work / "snippet.mjs").write_text(prepared.code + "\n", encoding="utf-8")
    code, out, err = _exec(["node", "snippet.mjs"], work, _guarded(env))
    if code != 0:
        detail = _first_error(err, r"^[A-Z]\w*(Error|Exception)(: |$)|^Uncaught |timed out")
        return (COMPILE_ERROR if detail.startswith("SyntaxError") else RUNTIME_ERROR), detail
    return RAN, ""


_GO_SHIM = f'''// A stand-in for azidentity: NewDefaultAzureCredential returns a credential with a fixed token.
package azidentity

import (
\t"context"
\t"os"
\t"time"

\t"github.com/Azure/azure-sdk-for-go/sdk/azcore"
\t"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type DefaultAzureCredentialOptions struct{{}}

type DefaultAzureCredential struct{{ token string }}

func NewDefaultAzureCredential(*DefaultAzureCredentialOptions) (*DefaultAzureCredential, error) {{
\treturn &DefaultAzureCredential{{token: os.Getenv("{TOKEN_ENV}")}}, nil
}}

func (c *DefaultAzureCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {{
\treturn azcore.AccessToken{{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}}, nil
}}
'''
AZIDENTITY = "github.com/Azure/azure-sdk-for-go/sdk/azidentity"


def run_go(prepared: Prepared, work: Path, env: dict[str, str], tools: Toolchains) -> tuple[str, str]:
    go_mod = tools.go_mod.read_text(encoding="utf-8")
    azcore = re.search(r"github.com/Azure/azure-sdk-for-go/sdk/azcore (v\S+)", go_mod)
    go_mod = re.sub(r"^module .*$", "module docsnippet.example/snippet", go_mod, count=1, flags=re.M)
    (work / "go.mod").write_text(go_mod + f"\nreplace {AZIDENTITY} => ./azidentity\n", encoding="utf-8")
    shutil.copy(tools.go_mod.with_name("go.sum"), work / "go.sum")
    shim = work / "azidentity"
    shim.mkdir()
    (shim / "go.mod").write_text(
        f"module {AZIDENTITY}\n\ngo 1.22\n\nrequire github.com/Azure/azure-sdk-for-go/sdk/azcore "
        f"{azcore.group(1) if azcore else 'v1.24.0'}\n",
        encoding="utf-8",
    )
    (shim / "azidentity.go").write_text(_GO_SHIM, encoding="utf-8")
    (work / "main.go").write_text(prepared.code + "\n", encoding="utf-8")
    build_env = {**env, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    code, out, err = _exec(["go", "build", "-o", "snippet", "."], work, build_env)
    if code != 0:
        return COMPILE_ERROR, _first_error(out + err, r"\.go:\d+:\d+: |timed out|^go: ")
    code, out, err = _exec([str(work / "snippet")], work, _guarded(env))
    if code != 0:
        return RUNTIME_ERROR, _first_error(err, r"^panic: |timed out")
    return RAN, ""


def run_java(prepared: Prepared, work: Path, env: dict[str, str], tools: Toolchains) -> tuple[str, str]:
    classpath = os.pathsep.join(str(p) for p in tools.classpath)
    source = work / "src" / (prepared.main_class.replace(".", "/") + ".java")
    source.parent.mkdir(parents=True)
    source.write_text(prepared.code + "\n", encoding="utf-8")
    code, out, err = _exec(
        ["javac", "-d", "classes", "-cp", classpath, str(source.relative_to(work))], work, env
    )
    if code != 0:
        return COMPILE_ERROR, _first_error(out + err, r"\.java:\d+: error: |timed out")
    # the JVM ignores HTTPS_PROXY: its own proxy properties send anything past the stand-in to a closed port
    guard = [f"-D{p}.proxyHost=127.0.0.1" for p in ("http", "https")] + [
        f"-D{p}.proxyPort=9" for p in ("http", "https")
    ]
    args = [
        "java",
        *guard,
        "-Dhttp.nonProxyHosts=127.0.0.1|localhost",
        "-cp",
        f"classes{os.pathsep}{classpath}",
    ]
    args.append(prepared.main_class)
    provider = tools.drivers / "java" / "target" / "classes"
    if (
        "AuthenticationUtil" in prepared.code
        and (provider / "conformance" / "NoNetworkHttpClientProvider.class").is_file()
    ):
        # azure-identity's AuthenticationUtil sends "GET https://www.example.com" through azure-core's default
        # client for every token; the Java driver's in-process client answers it instead of the network.
        args[args.index("-cp") + 1] += f"{os.pathsep}{provider}"
        args[1:1] = [f"-DAZURE_HTTP_CLIENT_IMPLEMENTATION={JAVA_NO_NETWORK}"]
        prepared.substitutions.append(
            "http: azure-core's default HTTP client -> the Java driver's in-process one (azure-identity's "
            "AuthenticationUtil.getBearerTokenSupplier sends GET https://www.example.com for every token)"
        )
    code, out, err = _exec(args, work, _guarded(env))
    if code != 0:
        return RUNTIME_ERROR, _first_error(err, r"^Exception in thread|^\S+(Error|Exception)\b|timed out")
    # The page's Java example catches every exception and prints it: a run that said "Error:" did not work.
    said = _first_error(err, r"^Error: ")
    if said.startswith("Error: "):
        return RUNTIME_ERROR, said
    return RAN, ""


RUNNERS = {"python": run_python, "javascript": run_javascript, "go": run_go, "java": run_java}


# --- one block ---------------------------------------------------------------------------------------------
def run_block(block: Block, blocks: list[Block], tools: Toolchains) -> Result:
    started = time.monotonic()
    result = _run_block(block, blocks, tools)
    result.seconds = round(time.monotonic() - started, 2)
    result.detail = scrub(result.detail)
    result.substitutions = [scrub(s) for s in result.substitutions]
    return result


def _run_block(block: Block, blocks: list[Block], tools: Toolchains) -> Result:
    if block.language == OUTPUT:
        return Result(block, SAMPLE, "the page's sample output, not code")
    if block.language in ("shell", "xml", "gradle"):
        return _install_result(block)
    reason = tools.missing(block.language)
    if reason:
        return Result(block, NOT_RUN, reason)
    source = block
    notes: list[str] = []
    same = restore_indentation(block, blocks) if block.language == "python" and not block.fence else None
    if same is not None and _needs_indentation(block):
        source = same
        notes.append(
            f"indentation: from {same.id}, whose lines are the same but for whitespace (the rendered page "
            "drops the leading whitespace Python needs)"
        )
    elif block.language == "python" and not block.fence and _needs_indentation(block):
        return Result(
            block,
            NOT_RUN,
            "the rendered page drops the indentation this block needs, and no Markdown page has its lines",
        )
    statuses: list[tuple[str, int, str]] = []

    def record(route: str, reply: Any) -> Any:
        err = reply.body.get("error") if isinstance(reply.body, dict) else None
        code = (err.get("code") or err.get("message") or "") if isinstance(err, dict) else ""
        statuses.append((route, reply.status, str(code)))
        return reply

    with (
        StandIn(api_key=STANDIN_KEY, tokens=(STANDIN_TOKEN,), deployments=DEPLOYMENTS, mutator=record) as s,
        tempfile.TemporaryDirectory(prefix="docsnippets-") as tmp,
        ExitStack() as stack,
    ):
        work = Path(tmp)
        origin = f"http://{s.host}:{s.port}"
        env = snippet_env(s.base_url)
        if block.language == "go":
            # azcore's bearer-token policy sends no credential over plain HTTP: the stand-in gets an HTTPS front
            front = stack.enter_context(TLSFront(s.port))
            origin = f"https://127.0.0.1:{front.port}"
            env = {**snippet_env(f"{origin}/openai/v1/"), "SSL_CERT_FILE": certificate()[0]}
            notes.append(
                "tls: the stand-in behind HTTPS with a throwaway certificate trusted through SSL_CERT_FILE"
            )
        index = tools.java_index() if block.language == "java" else None
        prepared = prepare(source, origin, index)
        prepared.substitutions = notes + prepared.substitutions
        runner = RUNNERS[block.language]
        outcome, detail = runner(prepared, work, env, tools)
        if outcome != RAN and not detail:
            detail = "exited non-zero and wrote no error"
        requests = [
            f"{r.method} {r.path} [{credential_sent(r.headers)}] -> {st}" + (f" {code}" if code else "")
            for r, (_, st, code) in zip(s.requests, statuses)
        ]
    if outcome == RAN:
        failed = [(st, code) for _, st, code in statuses if st >= 400]
        if failed:
            outcome, detail = RUNTIME_ERROR, f"the stand-in answered {failed[0][0]} {failed[0][1]}".strip()
    if outcome in (RUNTIME_ERROR, COMPILE_ERROR) and _UNDEFINED.search(detail):
        outcome = FRAGMENT
    same_as = same.id if same is not None else ""
    return Result(block, outcome, detail, prepared.substitutions, requests, same_as=same_as)


def credential_sent(headers: dict) -> str:
    """Which credential a request carried, named, never shown."""
    value = headers.get("api-key") or headers.get("authorization", "")
    how = "api-key" if "api-key" in headers else "Authorization: Bearer" if value else "no credential"
    what = {STANDIN_KEY: "the stand-in key", STANDIN_TOKEN: "the stand-in token"}.get(
        value.split(" ")[-1], ""
    )
    return f"{how} {what or 'another value'}" if value else how


def _needs_indentation(block: Block) -> bool:
    try:
        compile(block.code, "snippet.py", "exec")
        return False
    except IndentationError:
        return True
    except SyntaxError:
        return False


def _install_result(block: Block) -> Result:
    resolutions = resolve_block(block)
    commands = [
        {
            "line": r.line,
            "command": r.command,
            "outcome": r.outcome,
            "detail": r.detail,
            "evidence": r.evidence,
        }
        for r in resolutions
    ]
    failed = [r for r in resolutions if r.outcome == "failed"]
    if failed:
        return Result(block, INSTALL_FAILED, failed[0].detail, commands=commands)
    if resolutions and all(r.outcome == "not run" for r in resolutions):
        return Result(block, NOT_RUN, resolutions[0].detail, commands=commands)
    return Result(
        block,
        RESOLVED,
        "; ".join(r.detail for r in resolutions if r.outcome == "resolved"),
        commands=commands,
    )
