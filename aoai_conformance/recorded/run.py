"""Recorded interactions -> cases -> the same reports as a run (results.json, JUnit, HTML, Markdown).

One case per recorded interaction: its id names the file and the entry index, its row is the documented call,
its column the recording file. Calls the suite does not check are listed as "not checked" (skipped), never
dropped; bad input is a line naming the file and entry, and the other files are still checked.
"""

from __future__ import annotations

import datetime as _dt
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from .. import __version__, checks
from ..core import FAULT_HEADER
from ..files import write_atomic, write_json_atomic
from ..scrub import Scrubber
from . import findings as findings_mod
from .identify import Call, identify
from .readers import BadInput, Interaction, find, read

_SECTIONS = {
    "chat": "Chat",
    "responses": "Responses",
    "embeddings": "Embeddings",
    "fine_tuning": "Fine-tuning",
}
_MODEL = re.compile(rb'"model"\s*:\s*"([^"]{0,80})"')
CREDENTIAL_HEADERS = ("authorization", "api-key", "ocp-apim-subscription-key", "proxy-authorization")


@dataclass
class CheckOutcome:
    cases: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)
    unknown: list[BadInput] = field(default_factory=list)  # hosts that serve no OpenAI API: said, not judged
    written: list[Path] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.cases if c["status"] == status)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _scrubber(it: Interaction) -> Scrubber:
    secrets = []
    for name in CREDENTIAL_HEADERS:
        value = (it.request_headers or {}).get(name, "")
        secrets.append(value.split(" ", 1)[-1] if name == "authorization" else value)
    return Scrubber(secrets, host=urlsplit(it.url).netloc or None)


def _evidence(it: Interaction, call: Call) -> dict[str, Any]:
    scrub = _scrubber(it)
    body = it.request_body.decode("utf-8", "replace") if it.request_body is not None else None
    return {
        "request": {
            "method": it.method,
            "url": scrub.text(it.url),
            "headers": scrub.headers(it.request_headers or {}),
            "body": checks.trim(scrub.text(body), 1500) if body is not None else None,
        },
        "response": {
            "status": it.status,
            "headers": scrub.headers(it.response_headers or {}),
            "body": checks.trim(scrub.text(it.content.decode("utf-8", "replace")), 3000),
        },
    }


def _case(it: Interaction, call: Call, known: findings_mod.Findings) -> dict[str, Any]:
    from .judge import BadRecording, judge  # the SDK and the layers load on the first checked interaction

    name = Path(it.file).name
    kind = (call.kind or "").removesuffix("_stream")
    case: dict[str, Any] = {
        "id": f"check::{it.where}",
        "call": call.call,
        "test": f"{name}#{it.index}",
        "section": f"{_SECTIONS.get(kind, 'Not checked')} / {call.api}",
        "title": f"{call.call} recorded in {name}, entry {it.index}",
        "params": {"auth": "recorded", "client": call.api, "target": name},
        "recording": {
            "file": it.file,
            "entry": it.index,
            "api": call.api,
            "kind": call.kind,
            "profile": call.profile,
            **{k: it.provenance[k] for k in ("id", "source", "caveats") if k in it.provenance},
        },
        "status": "pass",
        "reason": None,
        "failure": None,
        "evidence": None,
        "notes": [],
        "rerun": f"aoai-conformance check '{it.file}'",
    }
    start = time.perf_counter()
    if call.kind is None:
        case.update(
            status="skipped", reason=f"not checked: {call.call} is not a documented call this suite checks"
        )
        return case
    fault = (it.response_headers or {}).get(FAULT_HEADER)
    if fault:  # this project's cassettes store a refused or dropped connection as a fault entry
        case.update(
            status="skipped", reason=f"not checked: a recorded connection fault ({fault}), no HTTP answer"
        )
        return case
    checks.take_notes()
    source = findings_mod.source_id(it.provenance)
    service = findings_mod.service_of(call.profile, urlsplit(it.url).netloc)
    try:
        judge(it, call)
    except BadRecording as exc:
        checks.take_notes()
        case.update(status="skipped", reason=f"bad input: {exc}", bad=str(exc))
        return case
    except checks.ConformanceFailure as exc:
        case["failure"] = {**exc.as_dict(), "message": str(exc)}
        found = known.match(case["failure"], service=service, api=call.api, call=call.call, source=source)
        if found:
            whose = "the recording was edited" if found.kind == "recording" else "server deviation"
            case.update(
                status="expected-fail",
                reason=f"known finding {found.id} ({whose}): {found.what}",
                findings=[found.id],
            )
        else:
            case["status"] = "fail"
    except Exception as exc:  # a crash in a check is the suite's bug: said, never hidden
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        case.update(
            status="error",
            failure={"promise": None, "detail": first, "message": f"{type(exc).__name__}: {first}"},
        )
    case["notes"] = checks.take_notes()
    # The spec's letter (strict) is never a failure; a listed finding about it is shown on the case all the same.
    for n in case["notes"]:
        if n["kind"] == "spec-deviation":
            strict = {"promise": "schema.strict", "path": n.get("path"), "detail": n["message"]}
            found = known.match(strict, service=service, api=call.api, call=call.call, source=source)
            if found and found.id not in case.setdefault("findings", []):
                case["findings"].append(found.id)
                n["finding"] = found.id
    if case["status"] == "pass" and any(n["kind"] == "doc-sdk-difference" for n in case["notes"]):
        case.update(
            status="doc-sdk-difference",
            reason=next(n["message"] for n in case["notes"] if n["kind"] == "doc-sdk-difference"),
        )
    if case["status"] != "pass":
        case["evidence"] = _evidence(it, call)
    case["duration"] = round(time.perf_counter() - start, 6)
    model = _MODEL.search(it.content[:4096])
    if model and model[1]:
        case["models"] = [model[1].decode("utf-8", "replace")]
    return case


def _bad_case(bad: BadInput) -> dict[str, Any]:
    name = Path(bad.file).name
    where = bad.file if bad.index is None else f"{bad.file}#{bad.index}"
    return {
        "id": f"check::{where}",
        "call": "unreadable recording",
        "test": name,
        "section": "Not checked / input",
        "title": f"{where} could not be read",
        "params": {"auth": "recorded", "client": "-", "target": name},
        "status": "skipped",
        "reason": f"bad input: {bad.message}",
        "failure": None,
        "evidence": None,
        "notes": [],
        "recording": {"file": bad.file, "entry": bad.index},
    }


def check(
    paths: list[str],
    *,
    profile: str | None = None,
    findings_file: Path | None = None,
    reports_dir: Path | None = None,
    command: str = "aoai-conformance check",
) -> CheckOutcome:
    """Check every interaction in ``paths``; write the reports into ``reports_dir`` (None: write nothing)."""
    known = findings_mod.load(findings_file)
    out = CheckOutcome()
    started = _now()
    profiles: dict[str, str | None] = {}  # file -> the profile of its interactions (None: mixed)
    seen_hosts: set[tuple[str, str]] = set()
    for item in find(paths):
        if isinstance(item, BadInput):
            out.bad.append(item)
            out.cases.append(_bad_case(item))
            continue
        for it in read(item):
            if isinstance(it, BadInput):
                out.bad.append(it)
                out.cases.append(_bad_case(it))
                continue
            ctype = (it.response_headers or {}).get("content-type", "")
            if not ctype and it.content.lstrip()[:6] in (b"data: ", b"event:"):
                ctype = "text/event-stream"
            call = identify(it.method, it.url, it.request_body, response_type=ctype, profile=profile)
            if call.api == "unknown" and (it.file, urlsplit(it.url).netloc) not in seen_hosts:
                host = urlsplit(it.url).netloc or "(no host)"
                seen_hosts.add((it.file, urlsplit(it.url).netloc))
                out.unknown.append(
                    BadInput(
                        it.file,
                        it.index,
                        f"host {host} serves no Azure OpenAI or OpenAI API "
                        "path: its requests are listed as not checked",
                    )
                )
            name = Path(it.file).name
            profiles[name] = call.profile if profiles.get(name, call.profile) == call.profile else None
            case = _case(it, call, known)
            if "bad" in case:
                out.bad.append(BadInput(it.file, it.index, case.pop("bad")))
            out.cases.append(case)
    if reports_dir is not None:
        results = _results(out, started, profiles, known, command)
        out.written = _write(results, out, Path(reports_dir))
    return out


def _results(
    out: CheckOutcome,
    started: str,
    profiles: dict[str, str | None],
    known: findings_mod.Findings,
    command: str,
) -> dict[str, Any]:
    import openai

    models: dict[str, list[str]] = {}
    for case in out.cases:
        for m in case.get("models") or []:
            models.setdefault(case["call"], [])
            if m not in models[case["call"]]:
                models[case["call"]].append(m)
    targets: list[dict[str, Any]] = [
        {"name": name, "kind": "recording", "host": None, "profile": prof, "region": None, "deployments": {}}
        for name, prof in sorted(profiles.items())
    ]
    return {
        "format": "aoai-conformance/results",
        "version": 1,
        "run": {
            "started": started,
            "finished": _now(),
            "mode": "check",
            "suite_version": __version__,
            "sdk_version": openai.__version__,
            "python": platform.python_version(),
            "command": command,
            "targets": targets,
            "models_seen": models,
            "tokens": {"total": 0, "by_call": {}},
            "expectations_file": str(known.file.name) if known.file else None,
        },
        "cases": out.cases,
    }


def _junit(out: CheckOutcome) -> str:
    failed = sum(1 for c in out.cases if c["status"] in ("fail", "error"))
    skipped = sum(1 for c in out.cases if c["status"] in ("skipped", "expected-fail", "not-applicable"))
    root = ET.Element("testsuites")
    suite = ET.SubElement(
        root,
        "testsuite",
        name="aoai-conformance check",
        tests=str(len(out.cases)),
        failures=str(failed),
        errors="0",
        skipped=str(skipped),
    )
    for c in out.cases:
        tc = ET.SubElement(
            suite,
            "testcase",
            classname=c["params"]["target"],
            name=c["test"],
            time=str(c.get("duration") or 0),
        )
        failure = c.get("failure") or {}
        if c["status"] in ("fail", "error"):
            ET.SubElement(tc, "failure", message=failure.get("message") or c["status"]).text = failure.get(
                "detail"
            )
        elif c["status"] in ("skipped", "expected-fail", "not-applicable"):
            ET.SubElement(tc, "skipped", message=c.get("reason") or c["status"])
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _write(results: dict[str, Any], out: CheckOutcome, reports_dir: Path) -> list[Path]:
    from .. import report

    reports_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_json_atomic(reports_dir / "results.json", results),
        write_atomic(reports_dir / "junit.xml", _junit(out)),
    ]
    written.extend(report.render(results, reports_dir).values())
    return written
