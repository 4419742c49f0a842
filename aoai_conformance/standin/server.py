"""The HTTP side: a threaded HTTP/1.1 server answering /openai/v1/... like an Azure OpenAI v1 resource.

Replies are built as :class:`Reply` data by the route modules, decorated with Azure's headers, passed to the
optional ``mutator`` and only then serialised (JSON, or SSE written chunk by chunk)."""

from __future__ import annotations

import importlib
import json
import socket
import sys
import threading
import time
import traceback
from http.server import ThreadingHTTPServer
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import urlsplit

from ..documented import azure_errors, registry
from ..serving import AnyMethodHandler, serve_in_background, stop_serving
from . import chat, misc, responses
from .common import Ids, Request, normalise_deployments
from .reply import DONE, JSON_TYPE, Reply, ReplyError, gateway_error, invalid_request, not_found, unauthorized

PREFIX = "/openai/v1"
Mutator = Callable[[str, Reply], Reply]

# Azure's error answers with these statuses carry apim-request-id but mostly no x-request-id (issue 12: in
# ../shared/realtraffic a 401, a 404, a content-filter 400 and an unknown-model 400 lack it; two passed-through
# validation 400s carry it); its 2xx answers carry both. The stand-in leaves it out of all of them.
ERRORS_WITHOUT_X_REQUEST_ID = (400, 401, 404)

# Per-resource defaults of a gpt-4o standard deployment (450K TPM / 2700 RPM); only the shape matters.
LIMIT_REQUESTS = 2700
LIMIT_TOKENS = 450_000


class RecordedRequest(NamedTuple):
    """One received request. ``headers`` keys are lower-case; ``body`` is the parsed JSON, the raw text when
    it was not JSON, or None when there was no body."""

    method: str
    path: str
    headers: dict
    body: Any


# route name -> the path it answers (after PREFIX): the documented calls' routes, from the call registry, then
# the stand-in's own (models: the harness lists deployments, no documented call of the suite).
ROUTES = {**registry.routes(), "models": "models"}
# Routes whose POST takes a JSON object body (a documented call's request).
JSON_BODY_ROUTES = frozenset(registry.routes())
# Routes whose answers Azure's content filter looked at: those of the calls that generate tokens.
RAI_ROUTES = frozenset(row.route for row in registry.CALLS if row.output_caps)
# Routes whose streams name each event (event: <type>, as OpenAI and Azure send Responses events): those of the
# streamed calls checked against per-event schemas.
NAMED_EVENT_ROUTES = frozenset(
    row.route
    for row in registry.CALLS
    if row.stream and any(name.startswith(registry.EVENT_PREFIX) for name in row.schemas)
)


def handler(ref: str) -> Callable[[Request], Reply]:
    """A registry row's ``standin`` ("module:function" in this package) as the function it names."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


# The documented calls' handlers, by the name their rows give (each row's method and path lead to its own).
HANDLERS = {row.standin: handler(row.standin) for row in registry.CALLS if row.standin}
# What answers the rest of a route beyond its documented calls: the stand-in's own (models: the harness lists
# deployments; a fine-tuning job's listing and lookup). Called as fn(ctx, method, the path after the route's
# own, body). Anything else: Azure's 404 for a path that is no route.
OWN_ROUTES: dict[str, Callable[..., Reply]] = {
    "models": misc.models,
    "fine_tuning.jobs": misc.fine_tuning_jobs,
}


def route_name(method: str, path: str) -> str:
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        return "outside"
    rest = path[len(PREFIX) :].strip("/")
    for name, prefix in ROUTES.items():
        if rest == prefix or rest.startswith(prefix + "/"):
            return name
    return "unknown"


class _Context:
    """What route modules see: deployments, ids, the responses store."""

    def __init__(self, deployments, seed: int):
        self.deployments = normalise_deployments(deployments)
        self.ids = Ids(seed)
        self.store = responses.Store()


class StandIn:
    """A local stand-in for an Azure OpenAI v1 resource. Use as a context manager, or start() / stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "standin-key",
        tokens=("standin-token",),
        stream_delay: float = 0.005,
        mutator: Optional[Mutator] = None,
        deployments: Optional[dict] = None,
        region: str = "Sweden Central",
        seed: int = 0,
        verbose: bool = False,
    ):
        self.host, self._port = host, port
        self.api_key = api_key
        self.tokens = tuple(tokens or ())
        self.stream_delay = stream_delay
        self.mutator = mutator
        # What the documentation promises, switchable so a test can make the stand-in break it:
        self.require_credentials = True  # 401 without a valid key or token
        self.embeddings_refuse_entra = True  # "Embeddings currently don't support Microsoft Entra ID"
        # What real Azure v1 does where the documentation says nothing (issue 12), switchable the same way:
        self.system_fingerprint: Optional[str] = chat.SYSTEM_FINGERPRINT  # null in chat bodies and chunks
        self.error_request_id = False  # True: x-request-id on 400/401/404 answers too (Azure sends none)
        self.region = region
        self.verbose = verbose
        self.requests: list[RecordedRequest] = []
        self._ctx = _Context(deployments, seed)
        self._lock = threading.Lock()
        self._count = 0
        self._tokens_used = 0
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._conns: set = set()

    # --- lifecycle -------------------------------------------------------------------------------------
    @property
    def deployments(self):
        return self._ctx.deployments

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{PREFIX}/"

    def start(self) -> "StandIn":
        if self._server is not None:
            return self
        handler = type("StandInHandler", (_Handler,), {"standin": self})
        server = _Server((self.host, self._port), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = serve_in_background(server, f"aoai-standin-{self.port}")
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._port = server.server_address[1]
        stop_serving(server)
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # close idle keep-alive connections so their threads end
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "StandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- request handling ------------------------------------------------------------------------------
    def _auth(self, headers: dict) -> Optional[str]:
        """'key', 'entra' or None."""
        if "api-key" in headers:
            return "key" if headers["api-key"] == self.api_key else None
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            value = auth[7:].strip()
            if value == self.api_key:
                return "key"
            if value in self.tokens:
                return "entra"
        return None

    def _dispatch(self, method: str, path: str, headers: dict, body: Any, body_error: bool) -> Reply:
        route = route_name(method, path)
        if route == "outside":
            return not_found()
        who = self._auth(headers)
        if who is None:
            if self.require_credentials:
                return unauthorized()
            who = "key"
        rest = path[len(PREFIX) :].strip("/")
        if method == "POST" and route in JSON_BODY_ROUTES:
            if body_error or not isinstance(body, dict):
                return invalid_request(
                    "We could not parse the JSON body of your request. The API expects a JSON "
                    "object as the request body.",
                    None,
                    None,
                )
        found = registry.match(method, rest)  # the documented call made by this method and path
        if found is not None and found[0].standin in HANDLERS:
            row, params = found
            return HANDLERS[row.standin](Request(self._ctx, method, params, body, who, self))
        if route in OWN_ROUTES:
            return OWN_ROUTES[route](self._ctx, method, rest[len(ROUTES[route]) :], body)
        return not_found()

    def _decorate(self, route: str, reply: Reply, headers: dict, body: Any) -> None:
        with self._lock:
            self._count += 1
            n = self._count
            if isinstance(reply.body, dict) and isinstance(reply.body.get("usage"), dict):
                u = reply.body["usage"]
                self._tokens_used += int(u.get("total_tokens") or 0)
            used = self._tokens_used
        rid = self._ctx.ids.uuid()
        h = {
            "apim-request-id": rid,
            "x-request-id": rid,  # Azure sends the same id in both (on success answers)
            "x-ms-region": self.region,
            "x-ratelimit-limit-requests": str(LIMIT_REQUESTS),
            "x-ratelimit-limit-tokens": str(LIMIT_TOKENS),
            "x-ratelimit-remaining-requests": str(LIMIT_REQUESTS - 1 - (n - 1) % LIMIT_REQUESTS),
            "x-ratelimit-remaining-tokens": str(LIMIT_TOKENS - used % LIMIT_TOKENS),
            "content-type": JSON_TYPE,
        }
        if reply.status in ERRORS_WITHOUT_X_REQUEST_ID and not self.error_request_id:
            del h["x-request-id"]
        if "x-ms-client-request-id" in headers:
            h["x-ms-client-request-id"] = headers["x-ms-client-request-id"]
        if route in RAI_ROUTES and reply.status == 200:
            h["x-ms-rai-invoked"] = "true"
        if (
            isinstance(body, dict)
            and isinstance(body.get("model"), str)
            and body["model"] in self.deployments
        ):
            h["x-ms-deployment-name"] = body["model"]
        h.update(reply.headers)
        reply.headers = h

    def handle(self, method: str, raw_path: str, headers: dict, raw_body: bytes) -> tuple[str, Reply]:
        path = urlsplit(raw_path).path
        body: Any = None
        body_error = False
        if raw_body:
            text = raw_body.decode("utf-8", errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body, body_error = text, True
        with self._lock:
            self.requests.append(RecordedRequest(method, path, dict(headers), body))
        route = route_name(method, path)
        try:
            reply = self._dispatch(method, path, headers, body, body_error)
        except ReplyError as e:
            reply = e.reply
        except Exception:  # a stand-in bug: answer like Azure's 500, keep serving
            traceback.print_exc(file=sys.stderr)
            reply = gateway_error(500, azure_errors.INTERNAL_ERROR_STANDIN)
        self._decorate(route, reply, headers, body)
        if self.mutator is not None:
            try:
                mutated = self.mutator(route, reply)
            except Exception:  # a broken mutator must not look like a dropped connection
                traceback.print_exc(file=sys.stderr)
                mutated = gateway_error(500, azure_errors.MUTATOR_RAISED)
            reply = reply if mutated is None else mutated
        return route, reply


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (a snippet process exiting, a driver's watchdog) is not an error of
        # the stand-in; anything else still prints its traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class _Handler(AnyMethodHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aoai-conformance-standin"
    sys_version = ""
    timeout = 120  # idle keep-alive connections end eventually
    standin: StandIn  # set on the per-instance subclass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle and delayed ACKs hold the
        # second one back about 40 ms on a reused connection (measured through the Go driver).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.standin._lock:
            self.standin._conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.standin._lock:
                self.standin._conns.discard(self.connection)

    def log_message(self, fmt, *args):
        if self.standin.verbose:
            sys.stderr.write("standin: %s - %s\n" % (self.address_string(), fmt % args))

    def _handle(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        route, reply = self.standin.handle(self.command, self.path, headers, self.read_body())
        try:
            if reply.events is not None:
                self._send_stream(route, reply)
            else:
                self._send_json(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_headers(self, reply: Reply, extra: dict) -> None:
        self.send_response(reply.status)
        sent = set()
        for k, v in {**reply.headers, **extra}.items():
            self.send_header(k, v)
            sent.add(k.lower())
        self.end_headers()

    def _send_json(self, reply: Reply) -> None:
        if reply.body is None:
            data = b""
        elif isinstance(reply.body, (bytes, bytearray)):
            data = bytes(reply.body)
        elif isinstance(reply.body, str):
            data = reply.body.encode("utf-8")
        else:
            data = json.dumps(reply.body).encode("utf-8")
        extra = (
            {}
            if any(k.lower() == "content-length" for k in reply.headers)
            else {"content-length": str(len(data))}
        )
        self._send_headers(reply, extra)
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _send_stream(self, route: str, reply: Reply) -> None:
        headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
        if not any(
            k.lower() == "content-type" and v.startswith("text/event-stream") for k, v in headers.items()
        ):
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            headers["content-type"] = "text/event-stream"
        reply = Reply(reply.status, headers, events=reply.events, event_lines=reply.event_lines)
        self._send_headers(reply, {"transfer-encoding": "chunked", "cache-control": "no-cache"})
        named = reply.event_lines if reply.event_lines is not None else route in NAMED_EVENT_ROUTES
        delay = self.standin.stream_delay
        for i, event in enumerate(reply.events or []):
            if i and delay:
                time.sleep(delay)
            self._chunk(format_event(event, named))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def format_event(event: Any, named: bool) -> bytes:
    if isinstance(event, (bytes, bytearray)):
        return bytes(event)
    if isinstance(event, str):
        return f"data: {event}\n\n".encode("utf-8")
    data = json.dumps(event, separators=(",", ":"))
    if named and isinstance(event, dict) and "type" in event:
        return f"event: {event['type']}\ndata: {data}\n\n".encode("utf-8")
    return f"data: {data}\n\n".encode("utf-8")


__all__ = ["StandIn", "RecordedRequest", "route_name", "DONE"]
