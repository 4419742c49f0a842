"""Listed findings: real server deviations, each with its evidence and the promise it breaks.

A recorded interaction that breaks a listed finding's promise, under its profile (and API, call and path where
the finding names them), is reported as that finding ("expected fail", with the finding's words), not as a new
failure. Anything else that fails is a failure. ``findings.toml`` (bundled) is the list; the corpus's own test
requires every listed finding to be seen in the corpus, so none goes stale.

    [[finding]]
    id = "azure-v1-image-prompt-filter-singular"
    promise = "chat.prompt-filter.entry"      # the promise id that fails; "schema.strict" for a deviation
                                              # from the spec's letter that the compatible verdict accepts
                                              # (shown on the case, never a failure)
    service = "azure"                         # optional: the real service it was seen on, azure (Azure
                                              # OpenAI) or openai (api.openai.com); see service_of()
    api = "azure-v1"                          # optional: prefix of the API (azure-v1, azure-deployments, openai-v1)
    call = "chat.completions.create"          # optional: the documented call, or its variants
                                              # ("chat.completions.create (stream)", "... (image input)")
    path = "prompt_filter_results"            # optional: part of the failure's JSON path
    detail = "'content_filter_results' is a required property"   # optional: part of the failure's detail
    received = '"content_filter_result"'      # optional: part of what the failure received
    kind = "server"                           # or "recording": the recording, not the server, is off
                                              # (a hand-edited fixture); such a finding names its entries
    entries = ["Mirascope/mirascope:path/to/cassette.yaml#3"]   # optional: only these recorded entries
    what = "Azure v1 image prompts put the per-prompt map under content_filter_result (singular)"
    evidence = ["corpus/mirascope-mirascope.har: ..."]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


REQUIRED = ("id", "promise", "what", "evidence")
OPTIONAL = ("kind", "service", "api", "call", "path", "detail", "received", "entries", "link")
KINDS = ("server", "recording")


class FindingsError(ValueError):
    """A findings file that cannot be used: one line naming the file and the fix."""


@dataclass(frozen=True)
class Finding:
    id: str
    promise: str
    what: str
    evidence: tuple[str, ...]
    service: str | None = None
    api: str | None = None
    call: str | None = None
    path: str | None = None
    detail: str | None = None
    received: str | None = None
    link: str | None = None
    kind: str = "server"
    entries: tuple[str, ...] | None = None

    def matches(
        self, failure: dict[str, Any], *, service: str | None, api: str, call: str, source: str | None
    ) -> bool:
        return (
            failure.get("promise") == self.promise
            and (self.entries is None or source in self.entries)
            and self.service in (None, service)
            and (self.api is None or api.startswith(self.api))
            and (self.call is None or call == self.call or call.startswith(self.call + " ("))
            and (self.path is None or self.path in (failure.get("path") or ""))
            and (self.detail is None or self.detail in (failure.get("detail") or ""))
            and (self.received is None or self.received in str(failure.get("received") or ""))
        )


@dataclass
class Findings:
    file: Path | None
    items: list[Finding] = field(default_factory=list)

    def match(
        self,
        failure: dict[str, Any] | None,
        *,
        service: str | None,
        api: str,
        call: str,
        source: str | None = None,
    ) -> Finding | None:
        if not failure:
            return None
        return next(
            (f for f in self.items if f.matches(failure, service=service, api=api, call=call, source=source)),
            None,
        )


def service_of(profile: str, host: str) -> str | None:
    """Which real service's known deviations apply: Azure OpenAI for whatever is judged as Azure (a resource,
    a gateway in front of one, the stand-in that plays one); OpenAI only for api.openai.com. Another
    OpenAI-compatible server gets none: OpenAI's quirks are no excuse for it."""
    if profile == "azure":
        return "azure"
    host = host.lower().split(":")[0]
    return "openai" if host == "api.openai.com" else None


def source_id(provenance: dict[str, Any]) -> str | None:
    """``repo:path#entry`` of a corpus entry (its ``_aoai.source``), the name findings use for it."""
    src = provenance.get("source")
    if not isinstance(src, dict) or not src.get("repo"):
        return None
    return f"{src['repo']}:{src.get('path', '')}#{src.get('entry', 0)}"


def load(path: Path | None) -> Findings:
    if path is None:
        return Findings(None)
    if not path.is_file():
        raise FindingsError(f"{path}: findings file not found; name an existing file, or none")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FindingsError(f"{path}: cannot be read ({exc}); name an existing findings file") from None
    except tomllib.TOMLDecodeError as exc:
        raise FindingsError(f"{path}: not valid TOML ({exc}); fix the file") from None
    items = []
    for i, raw in enumerate(data.get("finding") or []):
        missing = [k for k in REQUIRED if not raw.get(k)]
        unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
        if missing or unknown:
            what = f"missing {', '.join(missing)}" if missing else f"unknown key {', '.join(unknown)}"
            raise FindingsError(
                f"{path}: [[finding]] #{i + 1} ({raw.get('id', '?')}): {what}; "
                f"each needs {', '.join(REQUIRED)}"
            )
        if raw.get("kind", "server") not in KINDS:
            raise FindingsError(f"{path}: [[finding]] {raw['id']}: kind must be one of {', '.join(KINDS)}")
        if raw.get("kind") == "recording" and not raw.get("entries"):
            raise FindingsError(f"{path}: [[finding]] {raw['id']}: a recording finding names its entries")
        evidence, entries = raw["evidence"], raw.get("entries")
        items.append(
            Finding(
                raw["id"],
                raw["promise"],
                raw["what"],
                tuple(evidence if isinstance(evidence, list) else [evidence]),
                **{k: raw.get(k) for k in OPTIONAL if k not in ("kind", "entries")},
                kind=raw.get("kind", "server"),
                entries=tuple(entries) if entries else None,
            )
        )
    return Findings(path, items)
