"""The run modes: Replay, Record and Live, each answering what the harness asks of a run.

The harness never compares mode names; it asks the mode: which cassette a test opens (played, recorded or none),
whether the network is guarded, whether ``aoai.inject`` puts the fault proxy in front, whether stream timing is
checked, which clients and targets run by default, whether the targets' credentials are fake. The name stays for
what people read and type (``--mode``, results.json's ``run.mode``, ``aoai.mode``).

Standard library only, and nothing else of the package. The layers never ask a mode: what they need of it
reaches them as the context's answer (``core.Context.checks_stream_timing``, the harness's from its mode).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    # Which cassette a test opens: played (read-only, every answer comes from it), recorded (filled from live
    # traffic, saved when the test passes), or none.
    plays_cassettes: bool = False
    records_cassettes: bool = False
    # Every socket connection and name lookup fails the test at once (replay must be served from cassettes).
    guards_network: bool = False
    # Requests reach a server: the stand-in is started, an endpoint is needed, a 429 is throttling (aoai.live).
    reaches_server: bool = True
    # aoai.inject: True, a fault proxy goes in front of the target; False, the cassette holds the faults.
    faults_via_proxy: bool = True
    # Events must arrive spread out (recorders buffer streams, so only a live run can tell).
    checks_stream_timing: bool = False
    # Clients when none are chosen: live runs spend tokens, and the async client sends the same requests.
    default_clients: str = "sync"
    # Targets when none are chosen: None is the endpoint from the environment.
    default_targets: str | None = None
    # Targets become their recordings, with fixed fake credentials, at the placeholder host.
    fake_credentials: bool = False

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Replay(Mode):
    """Offline: every answer from the bundled cassettes, nothing sent anywhere."""

    name: str = "replay"
    plays_cassettes: bool = True
    guards_network: bool = True
    reaches_server: bool = False
    faults_via_proxy: bool = False
    default_clients: str = "sync,async"
    default_targets: str | None = "standin"
    fake_credentials: bool = True


@dataclass(frozen=True)
class Record(Mode):
    """Live, writing each passing test's traffic (scrubbed) to its cassette."""

    name: str = "record"
    records_cassettes: bool = True


@dataclass(frozen=True)
class Live(Mode):
    """Live, writing nothing but the reports."""

    name: str = "live"
    checks_stream_timing: bool = True


REPLAY, RECORD, LIVE = Replay(), Record(), Live()
MODES: dict[str, Mode] = {m.name: m for m in (REPLAY, RECORD, LIVE)}
NAMES = tuple(MODES)


def by_name(name: str) -> Mode | None:
    """The mode of that name, or None (a recording judged by ``aoai-conformance check`` runs in no mode)."""
    return MODES.get(name)


def parse(name: str) -> Mode:
    """The mode a user named; a bad name is a one-line ConfigError."""
    mode = MODES.get(name)
    if mode is None:
        from .config import ConfigError  # config imports this module: only the error path needs config

        raise ConfigError(f"unknown mode {name!r}: use --mode replay, record or live")
    return mode
