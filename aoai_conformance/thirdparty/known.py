"""Known deviations: failed cells that were looked at and are the server's, not the suite's (FINDINGS.md has
the evidence). tests/test_thirdparty_aimock.py holds aimock to this list: a new failure, or a listed one that
now passes, makes it fail, so the list and FINDINGS.md stay true."""

from __future__ import annotations

import ast
from pathlib import Path

from .. import paths

# server -> {test function: promise that fails}, for deviations of one test's call
_BY_TEST: dict[str, dict[str, str]] = {
    "aimock": {
        # 401 body is {"message","type","code"}: OpenAI's error object always carries "param" (null here).
        "test_wrong_credential_raises_authentication_error": "schema.compatible",
        # No parameter validation: temperature=5 (documented range 0..2) answers 200.
        "test_invalid_parameter_raises_bad_request_error": "errors.status",
        # fine_tuning.jobs.create accepts training_file="file-test", a file that was never uploaded.
        "test_fine_tuning_job_error_example": "errors.status",
        # Embeddings report usage {"prompt_tokens": 0, "total_tokens": 0} for non-empty input.
        "test_embeddings_create_float": "embeddings.usage",
        "test_embeddings_sdk_default_base64": "embeddings.usage",
        "test_embeddings_batch_input": "embeddings.usage",
        "test_embeddings_dimensions": "embeddings.usage",
    },
}

# server -> {deployment capability: promise that fails}, for deviations of every test run under it but a chat
# call's (a chat call on the reasoning deployment makes no Response object)
_BY_CAPABILITY: dict[str, dict[str, str]] = {
    "aimock": {
        # Response objects lack required fields (error, incomplete_details, instructions, tools, metadata, ...);
        # stream events lack sequence_number. Every test that creates a response meets them first (the
        # follow-up calls included: each creates the stored response it reads).
        "responses": "schema.compatible",
        "reasoning": "schema.compatible",
    },
}


def _capabilities(suites: Path) -> dict[str, str]:
    """test function -> the capability its @documented(call, ..., capability=...) names, read from the suites,
    for every test but a chat call's (the reasoning deployment serves chat too)."""
    found: dict[str, str] = {}
    for path in sorted(suites.glob("test_*.py")):
        for fn in ast.parse(path.read_text(encoding="utf-8")).body:
            if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test_")):
                continue
            for dec in fn.decorator_list:
                call = dec.args[0] if isinstance(dec, ast.Call) and dec.args else None
                if isinstance(call, ast.Constant) and str(call.value).startswith("chat."):
                    continue
                for kw in dec.keywords if isinstance(dec, ast.Call) else []:
                    if kw.arg == "capability" and isinstance(kw.value, ast.Constant):
                        found[fn.name] = str(kw.value.value)
    return found


def known_deviations(suites: Path | None = None) -> dict[str, dict[str, str]]:
    """server -> {test function: the promise it fails}: the listed tests, then every test under a listed
    capability (a new test of a Responses call needs no line here)."""
    capabilities = _capabilities(suites or paths.suites())
    out = {server: dict(tests) for server, tests in _BY_TEST.items()}
    for server, by_capability in _BY_CAPABILITY.items():
        for test, capability in capabilities.items():
            if capability in by_capability:
                out.setdefault(server, {}).setdefault(test, by_capability[capability])
    return out


KNOWN_DEVIATIONS = known_deviations()
