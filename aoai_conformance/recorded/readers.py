"""Recordings on disk -> :class:`Interaction` s, one at a time.

Formats: HAR 1.2 (browsers, mitmproxy, Charles, this project's corpus), vcrpy / pytest-recording cassettes
(YAML, gzip too, and vcrpy's JSON serializer, which is what this project's own cassettes are), and the Azure
SDK test-proxy's JSON recordings. A directory means every such file below it.

A large HAR is walked entry by entry: the file's text is held once and each entry is decoded on its own, so a
10,000-entry export never sits in memory as one parsed tree. Bad input never raises: it comes out as a
:class:`BadInput` line naming the file (and entry), and the reader goes on with what it can still read.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

SUFFIXES = (".har", ".yaml", ".yml", ".json", ".yaml.gz", ".yml.gz", ".json.gz", ".har.gz")


@dataclass
class Interaction:
    """One recorded request and its answer, as far as the recording kept them."""

    file: str  # as given on the command line (or found below a directory)
    index: int  # the entry's index in its file
    method: str
    url: str
    request_headers: dict[str, str] | None  # None: the recording kept none
    request_body: bytes | None  # None: not recorded
    status: int
    response_headers: dict[str, str] | None  # None: the recording kept none
    content: bytes
    provenance: dict[str, Any] = field(default_factory=dict)  # the corpus's _aoai field, or cassette metadata

    @property
    def where(self) -> str:
        return f"{self.file}#{self.index}"


@dataclass
class BadInput:
    """A file or entry that could not be read: one line, naming it and what to do."""

    file: str
    index: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.index is None else f"{self.file}#{self.index}"
        return f"{where}: {self.message}"


def find(paths: list[str]) -> Iterator[Path | BadInput]:
    """Every recording file named, or below a named directory, in a stable order."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(SUFFIXES))
            if not found:
                yield BadInput(raw, None, "no .har, .yaml, .yml or .json recording in this directory")
            yield from found
        elif p.is_file():
            yield p
        else:
            yield BadInput(raw, None, "no such file or directory")


def read(path: Path) -> Iterator[Interaction | BadInput]:
    """The interactions of one file, whatever its format."""
    name = str(path)
    gz = name.lower().endswith(".gz")
    stem = name.lower().removesuffix(".gz")
    try:
        with gzip.open(path, "rt", encoding="utf-8-sig") if gz else path.open(encoding="utf-8-sig") as fh:
            head = fh.read(4096)
            if stem.endswith((".yaml", ".yml")):
                yield from _vcr_yaml(name, head + fh.read())
            elif head.lstrip()[:1] != "{":
                yield BadInput(
                    name,
                    None,
                    "is not a JSON object; give a HAR 1.2 export, a VCR cassette or a test-proxy recording",
                )
            elif re.match(r'\s*\{\s*"log"\s*:', head) or '"entries"' in head:
                yield from _har(name, _Text(fh, head))
            else:
                yield from _json_doc(name, head + fh.read())
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        yield BadInput(
            name, None, f"cannot be read ({type(exc).__name__}: {exc}); give a HAR, YAML or JSON file"
        )


def _json_doc(name: str, text: str) -> Iterator[Interaction | BadInput]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        yield BadInput(name, None, f"is not valid JSON ({exc}); re-export the recording")
        return
    if isinstance(doc.get("log"), dict):
        yield BadInput(name, None, "has a log but no log.entries; re-export the HAR")
    elif isinstance(doc.get("interactions"), list):
        yield from _vcr_doc(name, doc)
    elif isinstance(doc.get("Entries"), list):
        yield from _test_proxy(name, doc)
    else:
        yield BadInput(
            name,
            None,
            "is JSON but neither HAR (log.entries), a VCR cassette (interactions) nor a "
            "test-proxy recording (Entries)",
        )


# --- HAR ----------------------------------------------------------------------------------------------------
_WS = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


class _Text:
    """A JSON text read a chunk at a time: what was consumed is dropped, so a large HAR costs about its largest
    entry plus a chunk, never the whole file."""

    CHUNK = 1 << 20

    def __init__(self, fh: Any, head: str) -> None:
        self.fh, self.buf, self.pos, self.dropped, self.eof = fh, head, 0, 0, False

    def _more(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        data = self.fh.read(max(at_least, self.CHUNK))
        if not data:
            self.eof = True
            return False
        if self.pos > self.CHUNK:
            self.buf, self.dropped, self.pos = self.buf[self.pos :], self.dropped + self.pos, 0
        self.buf += data
        return True

    def peek(self) -> str:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]  # \s* always matches
            if self.pos < len(self.buf) or not self._more():
                return self.buf[self.pos : self.pos + 1]

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at char {self.dropped + self.pos}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._more(len(self.buf) - self.pos):  # the value goes on in the next chunk
                    continue
                raise
            if end == len(self.buf) and self._more():  # a number may go on in the next chunk
                continue
            self.pos = end
            return value


def _har(name: str, text: _Text) -> Iterator[Interaction | BadInput]:
    index = 0
    try:
        if not _to_entries(text):
            yield BadInput(name, None, "has a log but no log.entries; re-export the HAR")
            return
        if text.peek() != "[":
            yield BadInput(name, None, "log.entries is not a list; re-export the HAR")
            return
        text.take("[")
        if text.peek() == "]":
            return
        while True:
            yield _har_entry(name, index, text.value())
            index += 1
            if text.peek() != ",":
                text.take("]")
                return
            text.take(",")
    except ValueError as exc:
        where = "" if index == 0 else f" after {index} entries"
        yield BadInput(
            name, index, f"invalid or truncated JSON{where} ({exc}); the entries before it were read"
        )


def _to_entries(text: _Text) -> bool:
    """Walk to the value of log.entries (skipping every other member); False when there is none."""
    text.take("{")
    inside_log = False
    while True:
        if text.peek() == "}":
            if not inside_log:
                return False
            inside_log = False
            text.take("}")
        else:
            key = text.value()
            text.take(":")
            if key == "log" and not inside_log:
                text.take("{")
                inside_log = True
                continue
            if key == "entries" and inside_log:
                return True
            text.value()
        if text.peek() == ",":
            text.take(",")


def _pairs(headers: Any) -> dict[str, str] | None:
    """HAR [{name, value}], VCR {name: [values]} or test-proxy {name: value} -> lower-case dict (None: none)."""
    if not headers:
        return None
    out: dict[str, str] = {}
    if isinstance(headers, list):
        for h in headers:
            if isinstance(h, dict) and "name" in h:
                out.setdefault(str(h["name"]).lower(), str(h.get("value", "")))
    elif isinstance(headers, dict):
        for k, v in headers.items():
            if isinstance(v, list):
                v = v[0] if v else ""
            out.setdefault(str(k).lower(), str(v))
    return out or None


def _har_entry(name: str, index: int, entry: Any) -> Interaction | BadInput:
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("request"), dict)
        or not isinstance(entry.get("response"), dict)
    ):
        return BadInput(name, index, "is not a HAR entry (request and response objects)")
    req, resp = entry["request"], entry["response"]
    post = req.get("postData") or {}
    content = resp.get("content") or {}
    body = content.get("text") or ""
    data = base64.b64decode(body) if content.get("encoding") == "base64" else body.encode("utf-8")
    headers = _pairs(resp.get("headers"))
    if headers is not None and content.get("mimeType") and "content-type" not in headers:
        headers["content-type"] = content["mimeType"]
    status = resp.get("status")
    if not isinstance(status, int) or status <= 0:
        return BadInput(name, index, f"has no HTTP status (got {status!r}): the request did not complete")
    raw_provenance = entry.get("_aoai")
    provenance = raw_provenance if isinstance(raw_provenance, dict) else {}
    return Interaction(
        name,
        index,
        str(req.get("method", "GET")).upper(),
        str(req.get("url", "")),
        _pairs(req.get("headers")),
        post["text"].encode("utf-8") if isinstance(post.get("text"), str) else None,
        status,
        headers,
        data,
        provenance,
    )


# --- VCR cassettes ------------------------------------------------------------------------------------------
def _vcr_yaml(name: str, text: str) -> Iterator[Interaction | BadInput]:
    try:
        import yaml
    except ImportError:
        yield BadInput(name, None, "YAML cassettes need PyYAML: pip install pyyaml (vcrpy installs it)")
        return
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        yield BadInput(name, None, f"is not valid YAML ({first}); re-record the cassette")
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        yield BadInput(name, None, "is YAML but not a VCR cassette (no interactions list)")
        return
    yield from _vcr_doc(name, doc)


def _vcr_body(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, dict):
        body = body.get("string", body.get("base64_string"))
        if body is None:
            return None
    if isinstance(body, bytes):
        data = body
    else:
        data = str(body).encode("utf-8")
    if data[:2] == b"\x1f\x8b":  # vcrpy keeps gzip bodies as recorded
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            pass
    return data


def _vcr_doc(name: str, doc: dict) -> Iterator[Interaction | BadInput]:
    metadata = doc.get("metadata")
    meta = metadata if isinstance(metadata, dict) else {}
    for index, it in enumerate(doc["interactions"]):
        req = it.get("request") if isinstance(it, dict) else None
        resp = it.get("response") if isinstance(it, dict) else None
        if not isinstance(req, dict) or not isinstance(resp, dict):
            yield BadInput(name, index, "is not a VCR interaction (request and response)")
            continue
        status = resp.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        if not isinstance(code, int):
            yield BadInput(name, index, f"has no HTTP status code (got {code!r})")
            continue
        yield Interaction(
            name,
            index,
            str(req.get("method", "GET")).upper(),
            str(req.get("uri", "")),
            _pairs(req.get("headers")),
            _vcr_body(req.get("body")),
            code,
            _pairs(resp.get("headers")),
            _vcr_body(resp.get("body")) or b"",
            dict(meta),
        )


# --- Azure SDK test-proxy -----------------------------------------------------------------------------------
def _proxy_body(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, list) and body and all(isinstance(x, str) for x in body):
        # text bodies (event streams) are kept as their lines
        return "".join(x if x.endswith("\n") else x + "\n" for x in body).encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _test_proxy(name: str, doc: dict) -> Iterator[Interaction | BadInput]:
    for index, e in enumerate(doc["Entries"]):
        if not isinstance(e, dict) or not isinstance(e.get("StatusCode"), int):
            yield BadInput(name, index, "is not a test-proxy entry (RequestUri, StatusCode, ...)")
            continue
        yield Interaction(
            name,
            index,
            str(e.get("RequestMethod", "GET")).upper(),
            str(e.get("RequestUri", "")),
            _pairs(e.get("RequestHeaders")),
            _proxy_body(e.get("RequestBody")),
            e["StatusCode"],
            _pairs(e.get("ResponseHeaders")),
            _proxy_body(e.get("ResponseBody")) or b"",
            {},
        )
