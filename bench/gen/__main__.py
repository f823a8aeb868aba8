"""`python -m bench.gen [--scales S,M,L,XL] [--force] [--out DIR]`"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import SCALES, generate


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gen", description=__doc__)
    ap.add_argument("--scales", default="S,M,L", help="comma-separated of " + ",".join(SCALES))
    ap.add_argument("--force", action="store_true", help="rebuild even when cached")
    ap.add_argument("--out", type=Path, default=None, help="data root (default bench/.data)")
    args = ap.parse_args()
    for name in [s.strip().upper() for s in args.scales.split(",") if s.strip()]:
        if name not in SCALES:
            ap.error(f"unknown scale {name}")
        path = generate(name, args.out, force=args.force)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
