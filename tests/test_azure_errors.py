"""Azure's error texts exist once (documented/azure_errors.py), and say what the bundled cassettes hold.

The stand-in and the fault proxy both answer from that module; the cassettes were recorded from their bytes,
so a text edited there without re-recording shows here first, not as a puzzling replay mismatch.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from aoai_conformance.documented import azure_errors
from aoai_conformance.faultproxy import azure_error_body
from aoai_conformance.paths import cassettes
from aoai_conformance.standin import reply

MODULE = Path(azure_errors.__file__)


def _gateway_bodies() -> list[tuple[str, int, str, str]]:
    """(cassette, status, request uri, body) of each recorded answer shaped {"error": {"code", "message"}}."""
    found = []
    for path in sorted(cassettes().rglob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")).get("interactions", []):
            response = entry["response"]
            text = response.get("body", {}).get("string")
            try:
                body: Any = json.loads(text) if isinstance(text, str) else None
            except ValueError:
                continue
            if isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict):
                if set(body["error"]) == {"code", "message"}:
                    found.append((path.name, response["status"]["code"], entry["request"]["uri"], text))
    return found


def test_the_recorded_gateway_errors_are_the_texts_written_here():
    checked = 0
    for name, status, uri, text in _gateway_bodies():
        expected = azure_errors.by_status(status, uri)
        if json.loads(text)["error"]["code"] != expected.code:
            continue  # a route's own answer (an Entra refusal, a fine-tuning payload error), not a status's
        assert text == json.dumps(expected.body()), f"{name}: {status} differs from documented.azure_errors"
        checked += 1
    assert checked >= 20, "the bundled cassettes hold the injected and gateway errors (status 400 to 504)"


@pytest.mark.parametrize(
    ("standin", "status"),
    [(reply.unauthorized, 401), (reply.deployment_not_found, 404)],
)
def test_the_stand_in_and_the_fault_proxy_send_the_same_bytes(standin, status):
    answer = standin()
    assert answer.status == status
    assert json.dumps(answer.body) == json.dumps(azure_error_body(status))


def test_the_two_404_and_500_texts_stay_apart():
    assert json.dumps(reply.not_found().body) == json.dumps(azure_errors.RESOURCE_NOT_FOUND.body())
    assert azure_errors.RESOURCE_NOT_FOUND != azure_errors.by_status(404)
    assert azure_errors.INTERNAL_ERROR.message.startswith(azure_errors.INTERNAL_ERROR_STANDIN.message)
    assert azure_errors.INTERNAL_ERROR != azure_errors.INTERNAL_ERROR_STANDIN


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/openai/v1/embeddings", "Embeddings_Create"),
        ("/openai/v1/chat/completions?x=1", "ChatCompletions_Create"),
        ("/openai/v1/completions", "Completions_Create"),
        ("/openai/v1/responses/", "Responses_Create"),
        ("/openai/v1/models", "ChatCompletions_Create"),
    ],
)
def test_the_rate_limit_text_names_the_operation(path, operation):
    error = azure_errors.by_status(429, path)
    assert error.code == "429"
    assert f"Requests to the {operation} Operation " in error.message


def test_an_unknown_status_gets_its_reason_phrase():
    assert azure_errors.by_status(418).body() == {"error": {"code": "418", "message": "I'm a Teapot."}}
    assert azure_errors.by_status(599).message == "Error."


def test_the_module_imports_the_standard_library_only():
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
    relative = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert relative == []
    assert [m for m in names if m.split(".")[0] not in sys.stdlib_module_names | {"__future__"}] == []


def test_the_stand_in_writes_no_error_text_of_its_own():
    """Its gateway-shaped answers (a route's 500, the Entra refusal, fine-tuning) take azure_errors' texts."""
    standin = Path(reply.__file__).parent
    literal = []
    for path in sorted(standin.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("gateway_error", "AzureError"):
                texts = [a for a in node.args if isinstance(a, ast.JoinedStr) or isinstance(a, ast.Constant)]
                if any(isinstance(a, ast.JoinedStr) or isinstance(a.value, str) for a in texts):
                    literal.append(f"{path.name}:{node.lineno}")
    assert literal == []
    from aoai_conformance.standin import embeddings

    assert embeddings.entra_refused().body == azure_errors.ENTRA_REFUSED.body()
