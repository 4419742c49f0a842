"""python -m aoai_conformance.schemagen [--check] [--specs DIR] [--out DIR]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import REPO_ROOT, diff, generate, specs_dir, write


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aoai_conformance.schemagen", description=__doc__)
    ap.add_argument(
        "--specs",
        type=Path,
        default=None,
        help="specs dir (default ../shared/specs or $AOAI_CONFORMANCE_SPECS_DIR)",
    )
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "schemas")
    ap.add_argument("--check", action="store_true", help="exit 1 if schemas/ differs from a fresh generation")
    args = ap.parse_args(argv)
    spec_dir = args.specs or specs_dir()
    if not (spec_dir / "SOURCES.txt").exists():
        print(f"schemagen: no specs at {spec_dir} (set AOAI_CONFORMANCE_SPECS_DIR)", file=sys.stderr)
        return 2
    files = generate(spec_dir)
    if args.check:
        bad = diff(files, args.out)
        for rel in bad:
            print(f"out of date: {rel}")
        return 1 if bad else 0
    changed = write(files, args.out)
    print(f"schemagen: {len(files)} files in {args.out}, {len(changed)} changed")
    for rel in changed:
        print(f"  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
