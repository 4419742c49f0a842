"""Which SDKs made a run's calls, for the report's lead and its run table (``--sdk``: cases carry ``sdk`` and
``sdk_version``; a Python-only run, or results older than ``--sdk``, name the openai Python SDK as before)."""

from __future__ import annotations

from ._model import as_dict, text


def label(results: dict) -> tuple[str, str]:
    """(heading, value): ("openai SDK", "3.57.0") for a Python-only run, else ("SDKs", "node 6.49.0, go v2.1.1")."""
    run = as_dict(results.get("run"))
    python = text(run.get("sdk_version")) or "unknown"
    seen: dict[str, str] = {}
    for case in results.get("cases") or []:
        case = as_dict(case)
        sdk = text(case.get("sdk")) or "python"
        if sdk not in seen:
            seen[sdk] = python if sdk == "python" else text(case.get("sdk_version")) or "unknown"
    if set(seen) <= {"python"}:
        return "openai SDK", python
    ordered = sorted(
        seen.items(), key=lambda kv: (kv[0] != "python", kv[0])
    )  # the same bytes whatever the order
    return "SDKs", ", ".join(f"{sdk} {version}" for sdk, version in ordered)
