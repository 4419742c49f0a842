"""The session: settings, targets, clients, the stand-in's and the fault proxy's lifecycle, and what each test
keeps in its stash for the others (the fixture, the case outcomes, the results).

A stand-in is started for a live or record run that names it (and each test's fault proxy on first
``aoai.inject``), one client per auth mode x client kind x target x constructor arguments per process, and all of
it stopped when pytest unconfigures.
"""

from __future__ import annotations

import datetime as _dt
import os
import secrets
from pathlib import Path
from typing import Any

import pytest

# Only light modules here: pytest loads this plugin in every session where the package is installed, so the
# SDK, vcrpy and azure-identity (~1.2 s of imports) are imported when a conformance test first needs them.
from .. import expectations, paths
from ..config import OPTIONS, ConfigError, Settings, Target, resolve
from ..scrub import Scrubber

STATE = pytest.StashKey["State"]()
CASE = pytest.StashKey[dict]()  # the case record of an aoai test (results.json's case), from collection
HARNESS = pytest.StashKey[Any]()  # calls.Aoai, the test's harness
OUTCOME = pytest.StashKey[str]()  # the call phase's outcome: a recorded cassette is saved when it passed
SCRUBBER = pytest.StashKey[Scrubber]()  # this test's secrets and host, for its evidence in results.json


def sdk_version() -> str:
    import openai

    return openai.__version__


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class State:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.error: str | None = None
        self.expectations_path: Path = paths.expectations()
        self.settings: Settings | None = None
        self.expectations: list[expectations.Expectation] = []
        self.findings: Any = None  # recorded.findings.Findings: real deviations, reported as known findings
        # (auth, client, target, constructor arguments) -> BuiltClient
        self.clients: dict[tuple[str, str, str, tuple[tuple[str, Any], ...]], Any] = {}
        self.standins: dict[str, Any] = {}
        self.proxies: dict[str, Any] = {}
        self.live_targets: dict[str, Target] = {}
        self.sdk_runs: dict[
            str, Any
        ] = {}  # --sdk other than python: sdks.harness.SdkRun, started on first use
        self.sdk_versions: dict[str, str] = {}  # another SDK's version as its driver said hello (results.py)
        self.cases: dict[str, dict[str, Any]] = {}
        self.started = now()
        self.written: list[Path] = []
        # Set at session finish (controller only): for the terminal summary and the last line of the run.
        self.final_cases: list[dict[str, Any]] = []
        self.hints: list[str] = []
        self.render_error: str | None = None
        opts = {name: config.getoption("aoai_" + name) for name in OPTIONS}
        explicit = (
            any(v is not None for v in opts.values()) or config.getoption("aoai_expectations") is not None
        )
        try:
            self.settings = resolve(**opts, default_cassettes=paths.cassettes())
            self.expectations_path = Path(
                config.getoption("aoai_expectations")
                or os.environ.get("AOAI_CONFORMANCE_EXPECTATIONS")
                or paths.expectations()
            )
            if config.getoption("aoai_expectations") and not self.expectations_path.is_file():
                raise ConfigError(f"expectations file {self.expectations_path} not found: fix the path")
            self.expectations = expectations.load(self.expectations_path)
            self.findings = _findings()
        except ConfigError as exc:
            self.error = str(exc)
            if explicit:
                raise pytest.UsageError(self.error) from None

    def api_service(self, target: str) -> tuple[str, str | None]:
        """(API, real service) of a target, for its known findings: every run target speaks v1."""
        from ..recorded.findings import service_of

        t = next(t for t in self.need().targets if t.name == target)
        return ("azure-v1" if t.profile == "azure" else "openai-v1"), service_of(t.profile, t.host)

    def need(self) -> Settings:
        if self.settings is None:
            raise pytest.UsageError(self.error or "aoai-conformance is not configured")
        return self.settings

    def target(self, name: str) -> Target:
        settings = self.need()
        base = next(t for t in settings.targets if t.name == name)
        if base.kind != "standin" or not settings.mode_obj.reaches_server:
            return base  # replay: the stand-in target is its recordings
        if name not in self.live_targets:
            from ..standin import StandIn  # started only when a live/record run asks for it

            key, token = "standin-key-" + secrets.token_hex(8), "standin-token-" + secrets.token_hex(12)
            server = StandIn(api_key=key, tokens=(token,))
            server.start()
            self.config.hook.pytest_aoai_standin_started(standin=server)
            self.standins[name] = server
            from dataclasses import replace

            self.live_targets[name] = replace(base, base_url=server.base_url, api_key=key, ad_token=token)
        return self.live_targets[name]

    def client(self, auth: str, client: str, target: Target, **client_kwargs: Any):
        key = (auth, client, target.name, tuple(sorted(client_kwargs.items())))
        if key not in self.clients:
            if not self.need().mode_obj.reaches_server:
                from .. import cassettes

                cassettes.share_tls_context()
            # Building a client costs ~25 ms (TLS context); one per auth x client x target per process.
            from ..auth import build_client

            self.clients[key] = build_client(auth, target, client == "async", **client_kwargs)
        built = self.clients[key]
        if built.provider is not None:  # counts are per test
            built.provider.calls = 0
            built.provider.tokens.clear()
        return built

    def proxied(
        self,
        auth: str,
        client: str,
        target: Target,
        faults: list[Any],
        scrubber: Scrubber,
        **client_kwargs: Any,
    ):
        """A client for this auth mode that talks to the target through the session's fault proxy."""
        from dataclasses import replace

        from ..faultproxy import FaultProxy

        if target.name not in self.proxies:
            proxy = FaultProxy(upstream=target.base_url)
            proxy.start()
            self.proxies[target.name] = proxy
        proxy = self.proxies[target.name]
        proxy.reset()
        proxy.script(faults)
        scrubber.add_base_url(proxy.base_url)
        via = replace(target, name=target.name + "+faults", base_url=proxy.base_url)
        return self.client(auth, client, via, **client_kwargs)

    def sdk_run(self, sdk: str) -> Any:
        """Another SDK for this session: its driver and server started on first use (or its "not run" reason)."""
        if sdk not in self.sdk_runs:
            from ..sdks.coverage import of
            from ..sdks.harness import SdkRun

            self.sdk_runs[sdk] = SdkRun(of(sdk), guard_network=self.need().mode_obj.guards_network)
        run = self.sdk_runs[sdk]
        run.start()
        if run.version:
            self.sdk_versions[sdk] = run.version
        return run

    def version_of(self, sdk: str) -> str | None:
        """The version of the SDK making a case's calls, for expectations limited to a version range: Python's
        installed openai, another SDK's as its driver's build installed it (read without starting it)."""
        if sdk == "python":
            return sdk_version()
        if sdk in self.sdk_versions:
            return self.sdk_versions[sdk]
        from ..sdks.driver import installed_version

        return installed_version(sdk)

    def close(self) -> None:
        for run in self.sdk_runs.values():
            try:
                run.close()
            except Exception:
                pass
        for server in [*self.proxies.values(), *self.standins.values()]:
            try:
                server.stop()
            except Exception:
                pass


def _findings() -> Any:
    """The listed real deviations (findings.toml; AOAI_CONFORMANCE_FINDINGS=PATH or none)."""
    from ..recorded.findings import FindingsError, load

    chosen = os.environ.get("AOAI_CONFORMANCE_FINDINGS")
    try:
        return load(None if chosen == "none" else Path(chosen) if chosen else paths.findings())
    except FindingsError as exc:
        raise ConfigError(str(exc)) from None


def state_of(config: pytest.Config) -> State:
    return config.stash[STATE]


def configure(config: pytest.Config) -> None:
    config.stash[STATE] = State(config)


def unconfigure(config: pytest.Config) -> None:
    if STATE in config.stash:
        state_of(config).close()
