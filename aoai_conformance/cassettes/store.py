"""Cassette files: how requests match recorded ones, loading (cached, one-line errors) and saving (atomic,
stable JSON with provenance in ``metadata``)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

from vcr.cassette import Cassette
from vcr.record_mode import RecordMode
from vcr.serialize import deserialize, serialize
from vcr.serializers import jsonserializer

from ..files import write_atomic

FORMAT = "aoai-conformance/cassette"


class CassetteProblem(Exception):
    """A cassette cannot be used; the message is one line that names the fix."""


def _json_or_bytes(body: Any) -> Any:
    if body is None:
        return b""
    if isinstance(body, str):
        body = body.encode()
    return _parsed_body(body)


@functools.lru_cache(maxsize=512)
def _parsed_body(body: bytes) -> Any:
    # vcrpy matches each request against every recorded one, twice (can_play, then play): parse each body once.
    # The result is only compared, never mutated, so sharing it is safe.
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body


def match_body(r1, r2) -> None:
    """Bodies match as JSON (key order does not matter), else byte for byte."""
    if _json_or_bytes(r1.body) != _json_or_bytes(r2.body):
        raise AssertionError("bodies differ")


def match_method(r1, r2) -> None:
    if r1.method != r2.method:
        raise AssertionError("methods differ")


def match_path(r1, r2) -> None:
    # Host and base are scrubbed to a placeholder, so compare what follows the host.
    if (r1.path, r1.query) != (r2.path, r2.query):
        raise AssertionError("paths differ")


MATCH_ON = (match_method, match_path, match_body)


class _Persister:
    """Loads our JSON cassettes with one-line errors; saving is done by :func:`save` (atomic)."""

    cache: dict[tuple[str, float], tuple] = {}

    @classmethod
    def load_cassette(cls, cassette_path, serializer):
        path = Path(cassette_path)
        try:
            stat = path.stat()
            key = (str(path), stat.st_mtime_ns)
            if key in cls.cache:
                return cls.cache[key]
            text = path.read_text(encoding="utf-8")
            loaded = deserialize(text, serializer)
        except FileNotFoundError:
            raise CassetteProblem(f"missing cassette {shown(path)}") from None
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise CassetteProblem(f"cassette {shown(path)} is unreadable ({type(exc).__name__})") from None
        cls.cache[key] = loaded
        return loaded

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):  # pragma: no cover - never called
        raise RuntimeError("cassettes are saved by aoai_conformance.cassettes.save")


def shown(path: Path | None) -> str:
    """A path as a person would type it: relative to the working directory when it is below it."""
    if path is None:  # live mode: no cassette
        return "no cassette"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def open_replay(path: Path, record_command: str) -> Cassette:
    if not path.is_file():
        raise CassetteProblem(f"missing cassette {shown(path)}: record it with: {record_command}")
    try:
        return Cassette.load(
            path=str(path),
            serializer=jsonserializer,
            persister=_Persister,
            record_mode=RecordMode.NONE,
            match_on=MATCH_ON,
        )
    except CassetteProblem as exc:
        raise CassetteProblem(f"{exc}; record it with: {record_command}") from None


def open_record(path: Path, before_request: Callable, before_response: Callable) -> Cassette:
    return Cassette(
        path=str(path),
        serializer=jsonserializer,
        persister=_Persister,
        record_mode=RecordMode.ALL,
        match_on=MATCH_ON,
        before_record_request=before_request,
        before_record_response=before_response,
    )


def save(cassette: Cassette, provenance: dict[str, Any]) -> Path:
    """Write atomically: a failed or interrupted run never leaves a half-written or replaced good cassette."""
    path = Path(cassette.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = serialize(
        {
            "requests": cassette.requests,
            "responses": cassette.responses,
            "metadata": {"format": FORMAT, **provenance},
        },
        jsonserializer,
    )
    # Stable, readable JSON: re-dump with sorted keys so re-recording the same traffic gives small diffs.
    text = json.dumps(json.loads(data), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return write_atomic(path, text, fsync=True)
