"""Every Azure answer of corpus/ through the Java driver: what openai-java's validate() and accessors say.

    .venv/bin/python drivers/java/strict_sweep.py [BUILD_DIR]   # BUILD_DIR: target (default) or target-openai-X.Y.Z

Each recorded answer is served as recorded (status, headers, body) by a server on 127.0.0.1, port 0, and asked
for by the matching documented call (sync client, no retries); one line per entry is printed: the strict parse,
the accessors that threw, the error class. The evidence behind drivers/java/FINDINGS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent
CORPUS = FOLDER.parent.parent / "corpus"
CALLS = {
    "chat": ("chat.completions.create", False),
    "chat_stream": ("chat.completions.create", True),
    "responses": ("responses.create", False),
    "responses_stream": ("responses.create", True),
    "embeddings": ("embeddings.create", False),
}
PARAMS: dict[str, dict[str, Any]] = {
    "chat.completions.create": {"model": "m", "messages": [{"role": "user", "content": "x"}]},
    "responses.create": {"model": "m", "input": "x"},
    "embeddings.create": {"model": "m", "input": "x"},
}
ACCESSORS = {
    "chat.completions.create": [
        "id",
        "model",
        "object",
        "message_content",
        "finish_reason",
        "usage.total_tokens",
    ],
    "responses.create": ["id", "model", "object", "status", "output_text", "usage.total_tokens"],
    "embeddings.create": ["model", "object", "embedding_count", "embedding_dims", "usage.total_tokens"],
}
SKIPPED_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection"}


def azure_entries() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for har in sorted(CORPUS.glob("*.har")):
        for i, entry in enumerate(json.loads(har.read_text())["log"]["entries"]):
            if entry["_aoai"]["service"] == "azure":
                out.append((f"{har.name}#{i}", entry))
    return out


def serve(entries: list[tuple[str, dict[str, Any]]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            response = entries[int(self.path.split("/")[2])][1]["response"]
            body = response["content"].get("text", "").encode()
            self.send_response(response["status"])
            names = set()
            for header in response.get("headers", []):
                if header["name"].lower() not in SKIPPED_HEADERS:
                    names.add(header["name"].lower())
                    self.send_header(header["name"], header["value"])
            if "content-type" not in names:
                self.send_header("content-type", response["content"].get("mimeType") or "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def requests(entries: list[tuple[str, dict[str, Any]]], port: int) -> list[dict[str, Any]]:
    out = []
    for index, (name, entry) in enumerate(entries):
        kind, url = entry["_aoai"]["kind"], entry["request"]["url"]
        if kind == "error":
            call = (
                next((c for c in ("responses", "embeddings") if f"/{c}" in url), "chat.completions")
                + ".create"
            )
            stream = False
        else:
            call, stream = CALLS[kind]
        out.append(
            {
                "id": name,
                "call": call,
                "stream": stream,
                "auth": "key",
                "client": "sync",
                "api_key": "sweep-key",
                "base_url": f"http://127.0.0.1:{port}/p/{index}/openai/v1/",
                "params": {**PARAMS[call], **({"stream": True} if stream else {})},
                "options": {"max_retries": 0},
                "accessors": [] if stream else ACCESSORS[call],
                "deadline_ms": 30000,
            }
        )
    return out


def main(argv: list[str]) -> int:
    build = FOLDER / (argv[0] if argv else "target")
    if not (build / "classpath.txt").exists():
        print(
            f"strict_sweep: {build}/classpath.txt is missing: run drivers/java/build first", file=sys.stderr
        )
        return 2
    entries = azure_entries()
    server = serve(entries)
    classpath = (build / "classpath.txt").read_text().strip()
    lines = "".join(json.dumps(r) + "\n" for r in requests(entries, server.server_address[1]))
    proc = subprocess.run(
        ["java", "-cp", f"{build}/classes:{classpath}", "conformance.Driver"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=FOLDER,
        timeout=600,
    )
    server.shutdown()
    out = proc.stdout.splitlines()
    print(json.dumps(json.loads(out[0])["hello"]))
    kinds = dict(entries)
    for line in out[1:]:
        r = json.loads(line)
        aoai = kinds[r["id"]]["_aoai"]
        error = r.get("error") or {}
        strict = r.get("strict")
        where = f" at event {strict['event_index']}" if strict and "event_index" in strict else ""
        fields = [
            r["id"],
            aoai["api"],
            aoai["kind"],
            "ok" if r["ok"] else str(error.get("class")),
            "strict: " + ("-" if strict is None else "ok" if strict["ok"] else strict["error"] + where),
        ]
        thrown = r.get("accessor_errors") or error.get("accessor_errors")
        if thrown:
            fields.append("accessors that threw: " + json.dumps(thrown))
        if any("edited" in c for c in aoai.get("caveats", [])):
            fields.append("(hand-edited entry)")
        print(" | ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
