"""python -m aoai_conformance.standin [--host 127.0.0.1] [--port 0] [--api-key K] [--token T ...]"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import StandIn


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m aoai_conformance.standin",
        description="Local stand-in for an Azure OpenAI v1 resource.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--api-key", default="standin-key")
    p.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="T",
        help="an accepted Entra ID bearer token (repeatable; default: standin-token)",
    )
    p.add_argument("--stream-delay", type=float, default=0.005)
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = p.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    standin = StandIn(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        tokens=tuple(args.tokens or ("standin-token",)),
        stream_delay=args.stream_delay,
        verbose=args.verbose,
    )
    try:
        standin.start()
    except OSError as e:
        print(f"aoai-conformance stand-in: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    print(f"aoai-conformance stand-in listening on {standin.base_url}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
