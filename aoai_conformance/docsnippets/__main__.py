"""``python -m aoai_conformance.docsnippets``: extract, resolve and run the seed pages' code blocks, then report.

Exit 0: every block ran, resolved, did not run for a stated reason (a missing toolchain), or is a documentation
finding listed in known.toml. Exit 1: a new failure, or a known.toml entry whose block now runs. Exit 2: bad
input, in one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .extract import Block, extract, seed_files
from .report import KNOWN, BadInput, judge, load_known, to_json, write
from .run import REPO, Result, Toolchains, run_block

DEFAULT_SEEDS = REPO.parent / "shared" / "seeds"
DEFAULT_OUT = REPO / "reports" / "docsnippets"
REQUIRED_SEEDS = ("000", "001")


def seeds_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("AOAI_CONFORMANCE_SEEDS") or DEFAULT_SEEDS)


def load_blocks(folder: Path) -> tuple[list[Block], dict[str, str]]:
    if not folder.is_dir():
        raise BadInput(
            f"{folder}: no such folder; pass --seeds DIR (or AOAI_CONFORMANCE_SEEDS) with the seed pages"
        )
    files = seed_files(folder)
    missing = [p for p in REQUIRED_SEEDS if p not in files]
    if missing:
        raise BadInput(
            f"{folder}: no seed {', '.join(m + '_*.txt' for m in missing)}; pass --seeds with the seed pages"
        )
    blocks: list[Block] = []
    for prefix in sorted(files):
        try:
            blocks += extract(files[prefix])
        except (OSError, UnicodeDecodeError) as e:
            raise BadInput(
                f"{files[prefix]}: cannot read it as UTF-8 text ({e}); restore the seed file"
            ) from None
    return blocks, {p: f.name for p, f in sorted(files.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aoai_conformance.docsnippets", description=__doc__)
    ap.add_argument(
        "--seeds", help="folder of the seed pages (default ../shared/seeds, or AOAI_CONFORMANCE_SEEDS)"
    )
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="report folder (default reports/docsnippets)")
    ap.add_argument(
        "--known", default=str(KNOWN), help="the listed documentation findings (default: the package's)"
    )
    ap.add_argument(
        "--only", default="", help="languages to take, comma-separated (python,go,java,shell,...)"
    )
    ap.add_argument("--blocks", default="", help="block ids to take, comma-separated (001:196-198,...)")
    ap.add_argument("--list", action="store_true", help="print the extracted blocks and stop")
    args = ap.parse_args(argv)
    try:
        blocks, seeds = load_blocks(seeds_dir(args.seeds))
        known = load_known(Path(args.known))
        only = {x.strip() for x in args.only.split(",") if x.strip()}
        ids = {x.strip() for x in args.blocks.split(",") if x.strip()}
        languages = {b.language for b in blocks}
        if only - languages:
            raise BadInput(
                f"--only {','.join(sorted(only - languages))}: no such language; use {','.join(sorted(languages))}"
            )
        if ids - {b.id for b in blocks}:
            raise BadInput(
                f"--blocks {','.join(sorted(ids - {b.id for b in blocks}))}: no such block; see --list"
            )
    except BadInput as e:
        print(f"docsnippets: {e}", file=sys.stderr)
        return 2
    chosen = [b for b in blocks if (not only or b.language in only) and (not ids or b.id in ids)]
    if args.list:
        for b in chosen:
            print(f"{b.id}\t{b.language}\t{b.section}\t{b.lines[0].strip()[:60]}")
        return 0
    tools = Toolchains()
    results: list[Result] = []
    for b in chosen:
        r = run_block(b, blocks, tools)
        print(f"{b.id:<13} {b.language:<10} {r.outcome}" + (f": {r.detail}" if r.detail else ""), flush=True)
        results.append(r)
    verdict = judge(results, known, selected_all=not only and not ids)
    j, m = write(to_json(results, known, verdict, seeds), Path(args.out))
    print(
        f"docsnippets: {len(results)} blocks, {len(verdict.findings)} listed in known.toml, "
        f"{len(verdict.new)} new failures, {len(verdict.stale)} stale known entries; report {m}"
    )
    for block_id in verdict.new:
        print(f"docsnippets: new failure {block_id} (not in {args.known})", file=sys.stderr)
    for block_id in verdict.stale:
        print(
            f"docsnippets: {args.known} lists {block_id}, which now runs or is no block: remove the entry",
            file=sys.stderr,
        )
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
