"""A fault-injecting reverse proxy: the suite's own way to make a service fail on demand.

A real Azure OpenAI resource cannot be told to answer 429 or to hang up mid-stream, yet the documentation
makes promises about exactly those cases ("connection errors, 408, 429 and >=500 are retried twice by default
with a brief exponential backoff"). :class:`FaultProxy` sits between the SDK and any target (the local
stand-in or a real resource in live mode), applies a scripted sequence of faults to the next requests, then
passes the rest through unchanged::

    with FaultProxy("http://127.0.0.1:5000/openai/v1/") as proxy:
        proxy.script([status(429, headers=retry_after_ms(10)), drop()])
        client = openai.OpenAI(base_url=proxy.base_url, api_key="k")
        client.chat.completions.create(...)          # 429, connection error, then the real answer
        [a.retry_count for a in proxy.attempts]      # ["0", "1", "2"]

Faults (each consumes one request):

- :func:`status` -- answer with a status code and an Azure-shaped error body (headers via
  :func:`retry_after_ms`, :func:`retry_after`, :func:`retry_after_date`, :func:`x_should_retry`);
- :func:`drop` -- read the request, close the connection without a response (``reset=True``: send a TCP RST);
- :func:`stall` -- read the request, send nothing for ``seconds``, then close (use a shorter client timeout);
- :func:`cut_stream` -- pass the upstream response through but cut the connection after N SSE events, without
  the chunked terminator;
- :func:`delay` -- wait, then pass through; :func:`passthrough` -- a no-op slot inside a script.

"Connection refused" cannot be produced per request by a listening socket; :func:`closed_port_url` gives a URL
on 127.0.0.1 where nothing listens (a port kept bound but never listening, so nobody else can take it).

Standard library only (and the core's SSE parser). Binds 127.0.0.1; talks to nothing but the given upstream.
Run by hand: ``python -m aoai_conformance.faultproxy --upstream URL [--port 0] [--script JSON]``.

Rooms: :mod:`.faults` (the scripted faults, Azure-shaped error bodies), :mod:`.proxy` (the attempt log, the
handler, the server), ``__main__`` (the command line).
"""

from .faults import (
    Fault,
    azure_error_body,
    cut_stream,
    delay,
    drop,
    fault_from_json,
    passthrough,
    retry_after,
    retry_after_date,
    retry_after_ms,
    stall,
    status,
    x_should_retry,
)
from .proxy import Attempt, FaultProxy, Headers, closed_port_url

__all__ = [
    "FaultProxy",
    "Fault",
    "Attempt",
    "Headers",
    "status",
    "drop",
    "stall",
    "cut_stream",
    "delay",
    "passthrough",
    "retry_after_ms",
    "retry_after",
    "retry_after_date",
    "x_should_retry",
    "closed_port_url",
    "fault_from_json",
    "azure_error_body",
]
