"""The one text/event-stream parser: the harness reads live and replayed streams with it, ``check`` reads
recorded ones, and the fault proxy counts the events it lets through with it.

The rules are the WHATWG ones the openai SDK's decoder follows: a line ends with CRLF, LF or a CR alone; a line
starting with ``:`` is a comment; ``event:`` names the event, ``data:`` lines join with newlines; one space
after the colon is dropped; a blank line ends the event. A block of only comments is no event.
"""

from __future__ import annotations

import re

from .exchange import SSEEvent

__all__ = ["LineSplitter", "SSEParser"]

_EOL = re.compile(rb"\r\n|\r|\n")


class LineSplitter:
    """A byte stream's complete lines, each with its own end (so a forwarder passes on exactly what came in).

    A CR at the end of a chunk waits for the next one: it may be the first half of a CRLF.
    """

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        buf = self._rest + chunk if self._rest else chunk
        lines: list[bytes] = []
        start = 0
        for m in _EOL.finditer(buf):
            if m.end() == len(buf) and m.group() == b"\r":
                break
            lines.append(buf[start : m.end()])
            start = m.end()
        self._rest = buf[start:]
        return lines

    def close(self) -> bytes:
        """What is left at the end of the stream: an unterminated last line (or a lone CR), taken out."""
        rest, self._rest = self._rest, b""
        return rest


class SSEParser:
    """Incremental parser: ``feed`` bytes as they arrive with their arrival time, ``close`` at the end."""

    def __init__(self) -> None:
        self._lines = LineSplitter()
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes, t: float) -> list[SSEEvent]:
        out = []
        for raw in self._lines.feed(chunk):
            ev = self.line(raw, t)
            if ev is not None:
                out.append(ev)
        return out

    def close(self, t: float) -> list[SSEEvent]:
        """The end of the stream ends its last line and its last event (a stream cut inside an event yields
        that event's partial data; ``check`` reads that as a truncated recording)."""
        out = []
        rest = self._lines.close()
        for raw in (rest, b"") if rest else (b"",):
            ev = self.line(raw, t)
            if ev is not None:
                out.append(ev)
        return out

    def line(self, raw: bytes, t: float) -> SSEEvent | None:
        """One line (as :class:`LineSplitter` gives it, its end included or not); the event it completes."""
        line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if line == "":
            if not self._data and self._event is None:
                return None
            ev = SSEEvent(self._event, "\n".join(self._data), t)
            self._event, self._data = None, []
            return ev
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


class FirstEvents:
    """Counts SSE events as the suite's own parser sees them; releases bytes up to the Nth (a stream cut after N
    events, as the fault proxy and the SDK server cut it).

    Bytes go on unchanged a line at a time (a partial line waits for its end), so the client gets each event
    as soon as the upstream sent it; the cut falls right after the blank line that ends event N.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._lines = LineSplitter()
        self._events = SSEParser()

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        if self.count >= self.limit:
            return b"", True
        out = bytearray()
        for line in self._lines.feed(data):
            out += line
            if self._events.line(line, 0.0) is not None:
                self.count += 1
                if self.count >= self.limit:
                    return bytes(out), True
        return bytes(out), False

    def flush(self) -> bytes:
        return self._lines.close()
