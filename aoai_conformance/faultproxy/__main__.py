"""``python -m aoai_conformance.faultproxy --upstream URL [--port 0] [--script JSON]``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .faults import fault_from_json
from .proxy import Attempt, FaultProxy


# ----------------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aoai_conformance.faultproxy",
        description="Fault-injecting reverse proxy for Azure OpenAI v1 targets (binds 127.0.0.1).",
    )
    parser.add_argument(
        "--upstream", required=True, help="base URL, e.g. https://RES.openai.azure.com/openai/v1/"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument(
        "--script",
        default=None,
        help="JSON list of faults, e.g. "
        '\'[{"status": 429, "headers": {"retry-after-ms": "10"}}, {"drop": true}]\'',
    )
    args = parser.parse_args(argv)
    try:
        faults = [fault_from_json(x) for x in json.loads(args.script)] if args.script else []
        proxy = FaultProxy(args.upstream, port=args.port)
    except (ValueError, TypeError, AttributeError) as exc:
        print(f"aoai-conformance fault proxy: {exc}", file=sys.stderr)
        return 2

    def log_attempt(a: Attempt) -> None:
        print(a.line(), file=sys.stderr, flush=True)

    proxy.on_attempt = log_attempt
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        proxy.start()
    except OSError as exc:
        print(f"aoai-conformance fault proxy: cannot listen: {exc}", file=sys.stderr)
        return 2
    try:
        proxy.script(faults)
        print(f"aoai-conformance fault proxy on {proxy.base_url} -> {args.upstream}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        proxy.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        sys.exit(130)
