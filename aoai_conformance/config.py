"""Targets and run settings, configured without code: options, ``AOAI_CONFORMANCE_*`` and Azure's own variables.

Every problem here is a :class:`ConfigError` with one line that names the fix; the plugin and the CLI print it
and stop (exit 2) instead of showing a traceback.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import overload
from urllib.parse import urlsplit

from . import modes
from .documented import registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

AUTH_MODES = ("entra", "key", "env")
PROFILES = ("azure", "openai")
CLIENTS = ("sync", "async")

DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
# Where recorded traffic points after scrubbing, and what replay sends to: never resolvable (RFC 2606).
PLACEHOLDER_BASE_URL = "https://resource.openai.azure.invalid/openai/v1/"
PLACEHOLDER_HOST = "resource.openai.azure.invalid"

# Capability -> (environment variable, documented default deployment). A public interface: keep it stable.
# The deployment names and their variables are config's own (reasoning, vision: deployments no call row names).
DEPLOYMENT_ENV = {
    "chat": ("AZURE_OPENAI_CHAT_DEPLOYMENT", "gpt-4o"),
    "responses": ("AZURE_OPENAI_RESPONSES_DEPLOYMENT", "gpt-4.1-nano"),
    "reasoning": ("AZURE_OPENAI_REASONING_DEPLOYMENT", "o4-mini"),
    "vision": ("AZURE_OPENAI_VISION_DEPLOYMENT", "gpt-4o"),
    "mcp": ("AZURE_OPENAI_MCP_DEPLOYMENT", "gpt-5"),
    "embeddings": ("AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT", "text-embedding-3-large"),
}
# The deployments', then each documented call's (the registry's rows), then the suites' own sections.
CAPABILITIES = tuple(
    dict.fromkeys((*DEPLOYMENT_ENV, *(row.capability for row in registry.CALLS), "errors", "retries"))
)

# Fixed credentials for replay: the fixed-token credential keeps the real get_bearer_token_provider path.
REPLAY_API_KEY = "replay-api-key"
REPLAY_AD_TOKEN = "replay-entra-token"

# The run options, declared once for the pytest plugin and the `aoai-conformance run` command:
# (name, metavar, help). Each is also AOAI_CONFORMANCE_<NAME>. resolve() takes the first eight.
RUN_OPTIONS = (
    (
        "mode",
        "replay|record|live",
        "replay cassettes offline (default), record them live, or run live without writing",
    ),
    ("auth", "entra,key,env", "auth modes to run (default: all three)"),
    ("target", "NAME[,NAME]", "targets: standin, endpoint (from AZURE_OPENAI_*), or names in targets.toml"),
    ("targets_file", "PATH", "targets.toml to read"),
    ("reports_dir", "DIR", "where reports go (reports/)"),
    ("profile", "azure|openai", "azure checks Azure-only promises; openai marks them not applicable"),
    ("client", "sync,async", "SDK clients to run (replay: both; live/record: sync)"),
    ("cassettes_dir", "DIR", "where cassettes are read and written (the bundled cassettes/)"),
    ("compare_to", "RESULTS.json", "a previous results.json: the report leads with what changed"),
    ("expectations", "PATH", "documented gaps and known failures (the bundled expectations.toml)"),
)
OPTIONS = tuple(name for name, _, _ in RUN_OPTIONS[:8])


class ConfigError(Exception):
    """A configuration problem, told in one line that names the fix."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # cassettes | standin | azure | openai-compatible
    base_url: str
    profile: str = "azure"
    api_key: str | None = None
    ad_token: str | None = None  # fixed Entra token; None means DefaultAzureCredential
    token_scope: str = DEFAULT_SCOPE
    deployments: dict[str, str] = field(default_factory=dict)
    capabilities: frozenset[str] | None = None  # None: claims every documented call
    region: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def display_host(self) -> str:
        """The host as reports may show it: real resource names are scrubbed."""
        if self.kind in ("cassettes", "standin") or self.host in ("127.0.0.1", "localhost"):
            return self.host
        return "RESOURCE" + self.host[self.host.find(".") :] if "." in self.host else "RESOURCE"

    def deployment(self, capability: str) -> str:
        return self.deployments.get(capability) or DEPLOYMENT_ENV[capability][1]

    def claims(self, capability: str | None) -> bool:
        return capability is None or self.capabilities is None or capability in self.capabilities

    def secrets(self) -> list[str]:
        return [s for s in (self.api_key, self.ad_token) if s]


# Hosts of an Azure resource: their bare URL is completed to the documented v1 path. Sovereign clouds included.
AZURE_RESOURCE_HOSTS = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
    ".openai.azure.us",
    ".cognitiveservices.azure.us",
    ".openai.azure.cn",
    ".cognitiveservices.azure.cn",
)


def normalize_base_url(endpoint: str) -> str:
    """An Azure resource host with no path gets ``/openai/v1/`` (with path ``/openai``: ``/v1/``); any other URL's
    path is the server's, taken as written (a server at its root is given as ``http://host:port``)."""
    endpoint = endpoint.strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"AZURE_OPENAI_ENDPOINT={endpoint!r} is not a URL: set it to https://RESOURCE.openai.azure.com"
        )
    path = parts.path.rstrip("/")
    if (parts.hostname or "").endswith(AZURE_RESOURCE_HOSTS):
        if path == "":
            path = "/openai/v1"
        elif path == "/openai":
            path = "/openai/v1"
    return f"{parts.scheme}://{parts.netloc}{path}/"


def replay_base_url(base_url: str) -> str:
    """Where replay sends a target's calls: the placeholder host (as the scrubber writes it) and the target's path."""
    return placeholder_origin() + urlsplit(base_url).path


def placeholder_origin() -> str:
    """``https://resource.openai.azure.invalid``: what the scrubber puts in place of a target's scheme and host."""
    parts = urlsplit(PLACEHOLDER_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def deployments_from_env(env: dict[str, str]) -> dict[str, str]:
    return {cap: env.get(var) or default for cap, (var, default) in DEPLOYMENT_ENV.items()}


@overload
def option(config_value: str | None, name: str, default: str, env: dict[str, str]) -> str: ...
@overload
def option(config_value: str | None, name: str, default: None, env: dict[str, str]) -> str | None: ...
def option(config_value: str | None, name: str, default: str | None, env: dict[str, str]) -> str | None:
    """Command line beats ``AOAI_CONFORMANCE_<NAME>`` beats the default."""
    if config_value not in (None, ""):
        return config_value
    return env.get("AOAI_CONFORMANCE_" + name.upper()) or default


def parse_choice_list(value: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise ConfigError(
            f"unknown {what} {','.join(bad) or value!r}: use a comma-separated list of {', '.join(allowed)}"
        )
    return items


def target_from_env(env: dict[str, str], profile: str | None) -> Target:
    endpoint = env.get("AZURE_OPENAI_ENDPOINT")
    if not endpoint:
        raise ConfigError(
            "no target: set AZURE_OPENAI_ENDPOINT (and AZURE_OPENAI_API_KEY), or pass --target standin, "
            "or name a target from targets.toml"
        )
    base_url = normalize_base_url(endpoint)
    host = urlsplit(base_url).hostname or ""
    kind = "azure" if host.endswith((".azure.com", ".azure.us", ".azure.cn")) else "openai-compatible"
    return Target(
        name="endpoint",
        kind=kind,
        base_url=base_url,
        profile=profile or env.get("AOAI_CONFORMANCE_PROFILE") or "azure",
        api_key=env.get("AZURE_OPENAI_API_KEY"),
        ad_token=env.get("AZURE_OPENAI_AD_TOKEN"),
        token_scope=env.get("AZURE_OPENAI_TOKEN_SCOPE") or DEFAULT_SCOPE,
        deployments=deployments_from_env(env),
        region=env.get("AZURE_OPENAI_REGION"),
    )


_TOML_KEYS = {
    "base_url",
    "base_url_env",
    "profile",
    "api_key_env",
    "ad_token_env",
    "token_scope",
    "deployments",
    "capabilities",
    "region",
    "kind",
}


def load_targets_file(path: Path, env: dict[str, str]) -> dict[str, Target]:
    """Named targets from targets.toml. Secrets are named by environment variable, never written in the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"targets file {path} not found: create it (see targets.example.toml) or pass --targets-file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"targets file {path} cannot be read ({exc}): fix its permissions or encoding"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"targets file {path} is not valid TOML ({exc}): fix that line") from None
    tables = data.get("targets")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(
            f"targets file {path} has no [targets.NAME] table: add one (see targets.example.toml)"
        )
    targets = {}
    for name, t in tables.items():
        where = f"{path}: [targets.{name}]"
        if not isinstance(t, dict):
            raise ConfigError(f"{where} must be a table with base_url or base_url_env")
        unknown = sorted(set(t) - _TOML_KEYS)
        if unknown:
            hint = (
                " (secrets go in the environment: use api_key_env / ad_token_env)"
                if {"api_key", "ad_token", "key", "token"} & set(unknown)
                else ""
            )
            raise ConfigError(
                f"{where} has unknown key {unknown[0]!r}{hint}; allowed: {', '.join(sorted(_TOML_KEYS))}"
            )
        if "base_url" in t:
            base = t["base_url"]
        elif "base_url_env" in t:
            base = env.get(t["base_url_env"])
            if not base:
                raise ConfigError(
                    f"{where} takes its URL from ${t['base_url_env']}, which is not set: export it"
                )
        else:
            raise ConfigError(f"{where} needs base_url or base_url_env")
        profile = t.get("profile", "azure")
        if profile not in PROFILES:
            raise ConfigError(f"{where} has profile {profile!r}: use one of {', '.join(PROFILES)}")
        deployments = deployments_from_env(env)
        extra = t.get("deployments", {})
        if not isinstance(extra, dict) or set(extra) - set(DEPLOYMENT_ENV):
            raise ConfigError(f"{where}.deployments may only name {', '.join(DEPLOYMENT_ENV)}")
        deployments.update(extra)
        caps = t.get("capabilities")
        if caps is not None:
            if not isinstance(caps, list) or set(caps) - set(CAPABILITIES):
                raise ConfigError(f"{where}.capabilities must be a list drawn from {', '.join(CAPABILITIES)}")
            caps = frozenset(caps)
        key_env, token_env = t.get("api_key_env"), t.get("ad_token_env")
        base_url = normalize_base_url(base)
        host = urlsplit(base_url).hostname or ""
        targets[name] = Target(
            name=name,
            kind=t.get("kind") or ("azure" if host.endswith(".azure.com") else "openai-compatible"),
            base_url=base_url,
            profile=profile,
            api_key=env.get(key_env) if key_env else None,
            ad_token=env.get(token_env) if token_env else None,
            token_scope=t.get("token_scope", DEFAULT_SCOPE),
            deployments=deployments,
            capabilities=caps,
            region=t.get("region"),
        )
    return targets


@dataclass(frozen=True)
class Settings:
    mode: str
    auth: tuple[str, ...]
    clients: tuple[str, ...]
    targets: tuple[Target, ...]
    reports_dir: Path
    cassettes_dir: Path
    targets_file: Path | None

    @property
    def mode_obj(self) -> modes.Mode:
        """The run mode (modes.Replay, Record or Live), which the harness asks; ``mode`` is its name."""
        return modes.parse(self.mode)


def standin_target(profile: str | None = None) -> Target:
    # Credentials are filled in when the plugin starts the stand-in (fresh random values per run).
    return Target(
        name="standin",
        kind="standin",
        base_url="http://127.0.0.1:0/openai/v1/",
        profile=profile or "azure",
        deployments=deployments_from_env({}),
    )


def resolve(
    *,
    mode: str | None,
    auth: str | None,
    target: str | None,
    targets_file: str | None,
    reports_dir: str | None,
    profile: str | None,
    client: str | None,
    cassettes_dir: str | None,
    default_cassettes: Path,
    env: dict[str, str] | None = None,
) -> Settings:
    env = dict(os.environ) if env is None else env
    run_mode = modes.parse(option(mode, "mode", modes.REPLAY.name, env))
    auth_modes = parse_choice_list(option(auth, "auth", ",".join(AUTH_MODES), env), AUTH_MODES, "auth mode")
    # Live runs default to sync only: the async client sends the same requests, and tokens cost money.
    clients = parse_choice_list(option(client, "client", run_mode.default_clients, env), CLIENTS, "client")
    profile = option(profile, "profile", None, env)
    if profile is not None and profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}: use --profile azure or openai")
    tfile = option(targets_file, "targets_file", None, env)
    names = option(target, "target", None, env)
    file_targets: dict[str, Target] = {}
    if tfile:
        file_targets = load_targets_file(Path(tfile), env)
    elif names and not set(names.split(",")) <= {"standin", "endpoint"} and Path("targets.toml").is_file():
        tfile = "targets.toml"
        file_targets = load_targets_file(Path(tfile), env)
    targets: list[Target] = []
    if names is None:
        names = run_mode.default_targets
    if names is None:
        targets.append(target_from_env(env, profile))
    else:
        for name in (n.strip() for n in names.split(",") if n.strip()):
            if name == "standin":
                t = standin_target(profile)
            elif name == "endpoint":
                if run_mode.reaches_server:
                    t = target_from_env(env, profile)
                else:  # replay needs no endpoint; when one is set, its path is where its recordings were sent
                    try:
                        base = normalize_base_url(env.get("AZURE_OPENAI_ENDPOINT") or PLACEHOLDER_BASE_URL)
                    except ConfigError:  # a live-only setting never stops a replay
                        base = PLACEHOLDER_BASE_URL
                    t = Target("endpoint", "azure", base)
            elif name in file_targets:
                t = file_targets[name]
            else:
                known = ", ".join(["standin", "endpoint", *file_targets]) or "standin"
                hint = "" if file_targets else " (no targets.toml found: pass --targets-file)"
                raise ConfigError(f"unknown target {name!r}: use one of {known}{hint}")
            if profile:
                t = replace(t, profile=profile)
            targets.append(t)
    if run_mode.fake_credentials:
        # Replay sends nothing anywhere: every target becomes its recordings with fixed fake credentials, at the
        # placeholder host and the path the recordings kept (the scrubber replaces scheme and host only).
        targets = [
            replace(
                t,
                kind="cassettes",
                base_url=replay_base_url(t.base_url),
                api_key=REPLAY_API_KEY,
                ad_token=REPLAY_AD_TOKEN,
            )
            for t in targets
        ]
    reports = Path(option(reports_dir, "reports_dir", "reports", env))
    cassettes = Path(option(cassettes_dir, "cassettes_dir", str(default_cassettes), env))
    return Settings(
        run_mode.name, auth_modes, clients, tuple(targets), reports, cassettes, Path(tfile) if tfile else None
    )
