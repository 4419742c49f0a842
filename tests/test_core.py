"""The core (issue 13): the one SSE parser, the fault proxy counting with it, and the facades over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aoai_conformance import calls, cassettes, checks, core
from aoai_conformance.core import LineSplitter, SSEEvent, SSEParser
from aoai_conformance.core.sse import FirstEvents

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "standin"
STREAMS = [
    CASSETTES / "chat" / "test_chat_completion_streaming.json",
    CASSETTES / "responses" / "test_responses_streaming_reasoning.json",
]


def recorded_stream(path: Path) -> bytes:
    body = json.loads(path.read_text())["interactions"][0]["response"]["body"]["string"]
    return body.encode()


def parse(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk, 0.0)
    events += parser.close(0.0)
    return [(e.event, e.data) for e in events]


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_a_recorded_stream_parses_the_same_whatever_the_line_ends_and_chunks(path, eol):
    text = recorded_stream(path)
    whole = parse([text])
    assert len(whole) > 5
    rewritten = text.replace(b"\n", eol)
    assert parse([rewritten]) == whole
    assert parse([rewritten[i : i + 1] for i in range(len(rewritten))]) == whole  # a CR may end a chunk
    assert parse([rewritten[i : i + 7] for i in range(0, len(rewritten), 7)]) == whole


def test_fields_comments_and_blocks():
    stream = (
        b": keep-alive\n\n"  # a block of only comments is no event
        b'event: response.created\ndata: {"a":1}\n\n'
        b"data:  two spaces\ndata:no space\n\n"  # one space after the colon is dropped, lines join with \n
        b"event: ping\n\n"  # an event without data is still an event
        b"id: 7\nretry: 10\nunknown\n: note\ndata\n\n"  # other fields are ignored; "data" alone is empty data
        b"data: [DONE]\n\n"
    )
    assert parse([stream]) == [
        ("response.created", '{"a":1}'),
        (None, " two spaces\nno space"),
        ("ping", ""),
        (None, ""),
        (None, "[DONE]"),
    ]


def test_the_end_of_the_stream_ends_its_last_line_and_event():
    assert parse([b'data: {"a":1}\n\ndata: {"b"']) == [(None, '{"a":1}'), (None, '{"b"')]  # a cut inside
    assert parse([b"data: x\r"]) == [(None, "x")]
    assert parse([b"data: x\n\n\r"]) == [(None, "x")]
    assert parse([b""]) == []


def test_events_carry_their_arrival_time_and_parse_their_json():
    parser = SSEParser()
    assert parser.feed(b'data: {"a"', 0.1) == []
    (ev,) = parser.feed(b": 1}\n\n", 0.2)
    assert ev == SSEEvent(None, '{"a": 1}', 0.2) and ev.json == {"a": 1} and not ev.done
    assert SSEEvent(None, " [DONE] ", 0.0).done and SSEEvent(None, "not json", 0.0).json is None


def test_the_line_splitter_keeps_every_byte():
    s = LineSplitter()
    data = b"a\r\nb\rc\n\r"
    lines = s.feed(data[:2]) + s.feed(data[2:])
    assert lines == [b"a\r\n", b"b\r", b"c\n"] and s.close() == b"\r" and s.close() == b""


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_the_fault_proxy_counts_the_events_the_parser_sees(path):
    text = recorded_stream(path).replace(b"\n", b"\r\n")
    events = parse([text])
    counter = FirstEvents(10_000)
    out = b"".join(counter.feed(text[i : i + 5])[0] for i in range(0, len(text), 5)) + counter.flush()
    assert out == text and counter.count == len(events)  # every byte forwarded, every event counted
    cut = FirstEvents(3)
    released, done = cut.feed(text)
    assert done and parse([released]) == events[:3] and released.endswith(b"\r\n\r\n")


def test_the_moved_names_are_the_same_objects_under_their_old_names():
    assert checks.ConformanceFailure is core.ConformanceFailure and checks.note is core.note
    assert checks.UNSET is core.UNSET
    assert calls.Exchange is core.Exchange and calls.StreamExchange is core.StreamExchange
    assert cassettes.Sent is core.Sent and cassettes.FAULT_HEADER == core.FAULT_HEADER
    # a layer catches a replay's missing answer by its core name; the SDK's `except Exception` does not
    assert issubclass(cassettes.ReplayExhausted, core.NoRecordedAnswer)
    assert not issubclass(cassettes.ReplayExhausted, Exception)
    checks.take_notes()
    core.note("info", "one list of notes")
    assert checks.take_notes() == [{"kind": "info", "message": "one list of notes"}]


def test_the_harness_and_a_recording_give_the_layers_what_context_names():
    from types import SimpleNamespace

    from aoai_conformance.recorded.judge import Recorded

    members = {n for n in dir(core.Context) if not n.startswith("_")}
    assert members == {"profile", "azure", "mode", "checks_stream_timing", "sent", "built"}
    built = SimpleNamespace(auth="key", provider=None, expected_credential="k")
    live = calls.Aoai(
        built=built, target=SimpleNamespace(profile="azure"), mode="replay", traffic=SimpleNamespace(sent=[])
    )
    assert {n: getattr(live, n) for n in members} == {
        "profile": "azure",
        "azure": True,
        "mode": "replay",
        "checks_stream_timing": False,
        "sent": [],
        "built": built,
    }
    recorded = Recorded("openai")
    # a recording has no attempt log, so the layers never ask it for built (wire.credentials stops at sent)
    assert (
        recorded.profile,
        recorded.azure,
        recorded.mode,
        recorded.checks_stream_timing,
        recorded.sent,
    ) == (
        "openai",
        False,
        "check",
        False,
        None,
    )


@pytest.mark.parametrize("named", [False, True])
def test_what_the_stand_in_writes_the_parser_reads_back(named):
    """The stand-in writes SSE (it parses none); core's parser reads each event back as it was meant."""
    from aoai_conformance.standin.server import format_event

    events = [
        {"type": "response.created", "n": 1},
        {"type": "response.output_text.delta", "delta": "a\nb"},
        "[DONE]",
    ]
    body = b"".join(format_event(e, named) for e in events)
    parsed = SSEParser().feed(body, 0.0)
    assert [e.json if not e.done else "[DONE]" for e in parsed] == events
    assert [e.event for e in parsed] == ([e["type"] for e in events[:2]] if named else [None, None]) + [None]
