"""The one way the project's local servers (stand-in, fault proxy) run: on 127.0.0.1, served from a daemon
thread, stopped cleanly."""

from __future__ import annotations

import threading
from socketserver import BaseServer


def serve_in_background(server: BaseServer, name: str) -> threading.Thread:
    """Serve ``server`` from a daemon thread (a short poll interval, so stop() returns at once)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread


def stop_serving(server: BaseServer) -> None:
    """Stop the serve loop, then close the listening socket."""
    server.shutdown()
    server.server_close()
