"""Clients built exactly as the documentation's three auth tabs build them (000_…txt, "Authentication").

- entra: ``OpenAI(base_url=…, api_key=get_bearer_token_provider(credential, scope))``
- key:   ``OpenAI(base_url=…, api_key=key)``
- env:   ``OpenAI()`` with ``OPENAI_BASE_URL``/``OPENAI_API_KEY`` set (every other ``OPENAI_*`` cleared)

The Entra credential is ``DefaultAzureCredential`` unless a fixed token is configured (replay, the stand-in,
``AZURE_OPENAI_AD_TOKEN``); the fixed-token credential still goes through the real
``azure.identity.get_bearer_token_provider``, so the path the docs show is the path tested.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import openai
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential
from azure.identity.aio import get_bearer_token_provider as async_bearer_token_provider

from .config import Target


class _FixedToken:
    def __init__(self, token: str) -> None:
        self._token = token

    def _expiry(self) -> int:
        return int(time.time()) + 3600


class FixedTokenCredential(_FixedToken):
    """A TokenCredential that always returns one token (replay and local runs)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, self._expiry())

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, self._expiry())

    def close(self) -> None:
        pass


class AsyncFixedTokenCredential(_FixedToken):
    """The same for ``azure.identity.aio.get_bearer_token_provider``."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, self._expiry())

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, self._expiry())

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncFixedTokenCredential:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        pass


class CountingProvider:
    """Wraps the real token provider to count calls: the SDK must ask for a token on every attempt."""

    def __init__(self, provider: Any, is_async: bool) -> None:
        self._provider = provider
        self._is_async = is_async
        self.calls = 0
        self.tokens: list[str] = []

    def __call__(self) -> Any:
        self.calls += 1
        if not self._is_async:
            token = self._provider()
            self.tokens.append(token)
            return token

        async def call() -> str:
            token = await self._provider()
            self.tokens.append(token)
            return token

        return call()


@contextmanager
def documented_env(base_url: str, api_key: str) -> Iterator[None]:
    """OPENAI_BASE_URL/OPENAI_API_KEY set, every other OPENAI_* cleared, all restored afterwards."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("OPENAI_")}
    for k in saved:
        del os.environ[k]
    os.environ["OPENAI_BASE_URL"] = base_url
    os.environ["OPENAI_API_KEY"] = api_key
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith("OPENAI_")]:
            del os.environ[k]
        os.environ.update(saved)


class MissingCredential(Exception):
    """The target has no credential for this auth mode (the test is skipped, saying which variable to set)."""


@dataclass
class BuiltClient:
    client: Any
    auth: str
    is_async: bool
    provider: CountingProvider | None = None
    expected_credential: str | None = (
        None  # what must appear after "Bearer " on the wire (None: from provider)
    )
    extra: dict[str, Any] = field(default_factory=dict)


def build_client(auth: str, target: Target, is_async: bool, **client_kwargs: Any) -> BuiltClient:
    """``client_kwargs`` are further constructor arguments the docs show, e.g. ``OpenAI(max_retries=0)``."""
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    if auth == "entra":
        token_provider: Callable[[], Any]  # returns the token (sync) or an awaitable of it (async)
        if is_async:
            async_credential = (
                AsyncFixedTokenCredential(target.ad_token)
                if target.ad_token
                else AsyncDefaultAzureCredential()
            )
            token_provider = async_bearer_token_provider(async_credential, target.token_scope)
        else:
            credential = (
                FixedTokenCredential(target.ad_token) if target.ad_token else DefaultAzureCredential()
            )
            token_provider = get_bearer_token_provider(credential, target.token_scope)
        provider = CountingProvider(token_provider, is_async)
        return BuiltClient(
            cls(base_url=target.base_url, api_key=provider, **client_kwargs),
            auth,
            is_async,
            provider=provider,
        )
    if not target.api_key:
        raise MissingCredential(
            f"auth mode {auth} needs an API key: set AZURE_OPENAI_API_KEY (or api_key_env in targets.toml)"
        )
    if auth == "key":
        return BuiltClient(
            cls(base_url=target.base_url, api_key=target.api_key, **client_kwargs),
            auth,
            is_async,
            expected_credential=target.api_key,
        )
    if auth == "env":
        with documented_env(target.base_url, target.api_key):
            client = cls(**client_kwargs)
        return BuiltClient(client, auth, is_async, expected_credential=target.api_key)
    raise ValueError(f"unknown auth mode {auth!r}")


def wrong_credential(auth: str, is_async: bool, token_scope: str) -> tuple[Any, str]:
    """A wrong credential in this auth mode's own form, and what it sends after "Bearer ".

    key / env: the key is an ``api_key`` string, so ``with_options(api_key=...)`` overrides it. entra: ``api_key``
    is a token provider, so the wrong credential is a token provider too, built as the docs build theirs
    (``get_bearer_token_provider``) over a credential that hands out a wrong token.
    """
    if auth != "entra":
        return "wrong-key", "wrong-key"
    if is_async:
        return async_bearer_token_provider(
            AsyncFixedTokenCredential("wrong-token"), token_scope
        ), "wrong-token"
    return get_bearer_token_provider(FixedTokenCredential("wrong-token"), token_scope), "wrong-token"
