"""A recorded request is identified by method and path, and its profile by host."""

from __future__ import annotations

import pytest

from aoai_conformance.recorded.identify import identify

AZ = "https://contoso.openai.azure.com"


@pytest.mark.parametrize(
    "method, url, body, ctype, call, kind, api, profile",
    [
        (
            "POST",
            f"{AZ}/openai/v1/chat/completions",
            b'{"model":"m"}',
            "",
            "chat.completions.create",
            "chat",
            "azure-v1",
            "azure",
        ),
        (
            "POST",
            f"{AZ}/openai/v1/chat/completions",
            b'{"stream":true}',
            "",
            "chat.completions.create (stream)",
            "chat_stream",
            "azure-v1",
            "azure",
        ),
        (
            "POST",
            f"{AZ}/openai/v1/responses",
            None,
            "text/event-stream; charset=utf-8",
            "responses.create (stream)",
            "responses_stream",
            "azure-v1",
            "azure",
        ),
        (
            "POST",
            f"{AZ}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            b"{}",
            "",
            "chat.completions.create",
            "chat",
            "azure-deployments api-version=2024-10-21",
            "azure",
        ),
        (
            "POST",
            f"{AZ}/openai/responses?api-version=2025-03-01-preview",
            b"{}",
            "",
            "responses.create",
            "responses",
            "azure-preview api-version=2025-03-01-preview",
            "azure",
        ),
        (
            "POST",
            "https://x.cognitiveservices.azure.com/openai/v1/embeddings",
            b"{}",
            "",
            "embeddings.create",
            "embeddings",
            "azure-v1",
            "azure",
        ),
        (
            "POST",
            "https://x.services.ai.azure.com/openai/v1/embeddings",
            b"{}",
            "",
            "embeddings.create",
            "embeddings",
            "azure-v1",
            "azure",
        ),
        (
            "POST",
            "https://api.openai.com/v1/responses",
            b"{}",
            "",
            "responses.create",
            "responses",
            "openai-v1",
            "openai",
        ),
        (
            "POST",
            "http://127.0.0.1:8080/v1/chat/completions",
            b"{}",
            "",
            "chat.completions.create",
            "chat",
            "openai-v1",
            "openai",
        ),
        (
            "POST",
            "https://api.openai.com/v1/fine_tuning/jobs",
            b"{}",
            "",
            "fine_tuning.jobs.create",
            "fine_tuning",
            "openai-v1",
            "openai",
        ),
        # not documented calls: listed as not checked, never dropped
        ("GET", f"{AZ}/openai/v1/models", None, "", "GET /openai/v1/models", None, "azure-v1", "azure"),
        (
            "POST",
            "https://api.openai.com/v1/moderations",
            b"{}",
            "",
            "POST /v1/moderations",
            None,
            "openai-v1",
            "openai",
        ),
        (
            "GET",
            "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
            None,
            "",
            "GET /tenant/oauth2/v2.0/token",
            None,
            "unknown",
            "openai",
        ),
    ],
)
def test_identify(method, url, body, ctype, call, kind, api, profile):
    got = identify(method, url, body, response_type=ctype)
    assert (got.call, got.kind, got.api, got.profile) == (call, kind, api, profile)


def test_the_profile_can_be_named_whatever_the_host():
    assert (
        identify("POST", "https://gateway.contoso.com/v1/chat/completions", b"{}", profile="azure").profile
        == "azure"
    )


def test_dated_api_versions_are_told_apart_from_v1():
    assert identify("POST", f"{AZ}/openai/deployments/d/embeddings?api-version=2024-02-01", b"{}").dated
    assert not identify("POST", f"{AZ}/openai/v1/embeddings", b"{}").dated
