"""How fast is the offline replay, against the floor of the same SDK calls served from memory?

    python bench/replay.py [--rounds 3]

1. Runs the full offline replay (``pytest suites``, one process, no xdist) and reads every case's duration
   (setup + call + teardown) from results.json: the time the suite spends per test case. The harness's own
   imports are not in it (the plugin imports them once collection has found a conformance test), as the
   floor's are not in its timing; the wall time printed includes both.
2. The floor: for every case of that run, the same SDK calls (the interactions of its cassette, with the same
   sync/async client kind) served from memory by an ``httpx2.MockTransport``, without pytest, vcrpy or
   schemas. Streams are iterated, errors caught, one client per auth mode x client kind as the suite does.
3. Prints seconds, ms per case and the ratio. Timing-by-design tests (retries that honour retry-after or
   back off on purpose) are reported apart: their time is the behaviour under test, not overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import openai

from aoai_conformance.documented import registry

REPO = Path(__file__).resolve().parent.parent


def run_replay(reports: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            str(REPO / "suites"),
            "--reports-dir",
            str(reports),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("replay failed:\n" + proc.stdout[-3000:])
    return wall, json.loads((reports / "results.json").read_text())


def cassette_for(case: dict) -> Path | None:
    module = Path(case["id"].split("::")[0]).stem.removeprefix("test_")
    name = case["id"].split("::")[1]
    base, _, params = name.partition("[")
    params = params.rstrip("]").split("-")
    aoai = params[:3]
    rest = [p for p in params[3:] if p]
    folder = REPO / "cassettes" / case["params"]["target"] / module
    for candidate in (f"{base}[{'-'.join(rest + [aoai[0]])}]", f"{base}[{'-'.join(rest)}]" if rest else base):
        path = folder / f"{candidate}.json"
        if path.is_file():
            return path
    return None


def interactions(path: Path) -> list[tuple[str, str, dict, httpx2.Response]]:
    """(call path, SDK method, keyword arguments, the recorded answer) of each documented call in the cassette:
    the registry's rows say which method and path make which call (follow-up calls included)."""
    data = json.loads(path.read_text())
    out = []
    for it in data["interactions"]:
        req, resp = it["request"], it["response"]
        suffix = req["uri"].split("/openai/v1", 1)[-1].split("?")[0].strip("/")
        found = registry.match(req["method"], suffix)
        if found is None:
            continue
        row, params = found
        body = {**params, **(json.loads(req["body"]) if req["body"] else {})}
        headers = [(k, v) for k, vs in resp["headers"].items() for v in vs]
        content = (resp["body"]["string"] or "").encode()
        response = httpx2.Response(resp["status"]["code"], headers=headers, content=content)
        out.append((row.call, row.sdk_method, body, response))
    return out


def _resolve(client, call, method):
    obj = client
    for part in call.split("."):
        obj = getattr(obj, part)
    return getattr(obj, method)


async def _async_call(client, call: str, method: str, body: dict) -> None:
    try:
        result = await _resolve(client, call, method)(**body)
        if body.get("stream"):
            [e async for e in result]
    except openai.APIError:
        pass


def floor(cases: list[dict]) -> tuple[float, int]:
    """The same calls through MockTransport: returns (seconds, calls)."""
    plan = []
    for case in cases:
        path = cassette_for(case)
        if path is not None:
            plan.append((case["params"]["client"], interactions(path)))
    queue: list[httpx2.Response] = []

    def handler(request):
        r = queue.pop(0)
        return httpx2.Response(r.status_code, headers=r.headers, content=r.content)

    async def ahandler(request):
        return handler(request)

    sync_client = openai.OpenAI(
        base_url="https://floor.invalid/openai/v1/",
        api_key="k",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    async_client = openai.AsyncOpenAI(
        base_url="https://floor.invalid/openai/v1/",
        api_key="k",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(ahandler)),
    )
    loop = asyncio.new_event_loop()
    calls = 0
    start = time.perf_counter()
    for kind, steps in plan:
        for call, method, body, response in steps:
            queue[:] = [response]
            calls += 1
            if kind == "sync":
                try:
                    result = _resolve(sync_client, call, method)(**body)
                    if body.get("stream"):
                        list(result)
                except openai.APIError:
                    pass
            else:
                loop.run_until_complete(_async_call(async_client, call, method, body))
    return time.perf_counter() - start, calls


TIMED_BY_DESIGN = ("test_retries.py",)


def cold_floor(results_path: Path) -> tuple[float, int]:
    """The floor in a fresh process, like the suite's run: its first calls pay the SDK's own warm-up (pydantic
    models built on first use), just as the suite's first cases do. Imports are excluded on both sides."""
    proc = subprocess.run(
        [sys.executable, __file__, "--floor-only", str(results_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    seconds, calls = proc.stdout.split()
    return float(seconds), int(calls)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--floor-only", metavar="RESULTS", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_only:
        cases = json.loads(Path(args.floor_only).read_text())["cases"]
        seconds, calls = floor([c for c in cases if not c["id"].split("::")[0].endswith(TIMED_BY_DESIGN)])
        print(seconds, calls)
        return
    walls, suite_s, timed_s, floors = [], [], [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            wall, results = run_replay(Path(tmp))
            floors.append(cold_floor(Path(tmp) / "results.json"))
        cases = results["cases"]
        plain = [c for c in cases if not c["id"].split("::")[0].endswith(TIMED_BY_DESIGN)]
        timed = [c for c in cases if c not in plain]
        walls.append(wall)
        suite_s.append(sum(c["duration"] for c in plain))
        timed_s.append(sum(c["duration"] for c in timed))
    n_plain, n_timed = len(plain), len(timed)
    # Minimum over repetitions for both sides: the least-disturbed run of each (a 2-core machine is noisy).
    suite = min(suite_s)
    fl, calls = min(f[0] for f in floors), floors[0][1]
    print(
        f"offline replay: {len(cases)} cases in {statistics.median(walls):.2f} s wall (median of {args.rounds}; "
        "one process, incl. start-up)"
    )
    print(
        f"  suites without timing-by-design: {n_plain} cases, {suite:.3f} s in tests (best round), "
        f"{1000 * suite / n_plain:.2f} ms per case"
    )
    if n_timed:
        print(
            f"  retry suite (waits on purpose): {n_timed} cases, {statistics.median(timed_s):.3f} s in tests"
        )
    print(
        f"floor (same {calls} SDK calls from memory via httpx2.MockTransport, fresh process, best of {len(floors)}): {fl:.3f} s, "
        f"{1000 * fl / n_plain:.2f} ms per case"
    )
    ratios = sorted(s / f[0] for s, f in zip(suite_s, floors))
    print(
        f"ratio suite/floor: {suite / fl:.2f}x best/best; per round {', '.join(f'{r:.2f}x' for r in ratios)}, "
        f"median {statistics.median(ratios):.2f}x  (target <= 2x, aim 1.5x)"
    )


if __name__ == "__main__":
    main()
