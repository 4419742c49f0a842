"""What a layer needs from the context a call was made in.

Live, replayed and recorded calls are checked by the same layers (``wire``, ``sdk``, ``layers``). They receive
the exchange and a :class:`Context`: the harness's ``calls.Aoai`` for a suite's call, ``recorded.judge.Recorded``
for a recording. The layers read nothing else of either.
"""

from __future__ import annotations

from typing import Protocol

from .exchange import Sent

__all__ = ["Context", "Credentials", "TokenCounter"]


class TokenCounter(Protocol):
    """The Entra token provider as built for a test (``auth.CountingProvider``): how often it was asked, and
    every token it handed out."""

    @property
    def calls(self) -> int: ...

    @property
    def tokens(self) -> list[str]: ...


class Credentials(Protocol):
    """How this test's client was built (``auth.BuiltClient``), as ``wire.credentials`` reads it."""

    @property
    def auth(self) -> str: ...  # "entra", "key" or "env"

    @property
    def provider(self) -> TokenCounter | None: ...  # Entra ID: the token provider; else None

    @property
    def expected_credential(self) -> str | None: ...  # the API key that must follow "Bearer " (key modes)


class Context(Protocol):
    """The context a layer checks an exchange in."""

    @property
    def profile(self) -> str: ...  # "azure" or "openai": whose documented promises apply

    @property
    def azure(self) -> bool: ...  # profile == "azure"

    @property
    def mode(self) -> str: ...  # "live", "record", "replay" (suites) or "check" (a recording)

    @property
    def checks_stream_timing(self) -> bool: ...  # events' arrival times are real (live): wire.event_stream

    @property
    def sent(self) -> list[Sent] | None: ...  # the attempt log; None for a recording (never kept)

    @property
    def built(self) -> Credentials: ...  # read only when ``sent`` is not None
