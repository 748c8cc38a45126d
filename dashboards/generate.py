"""Generate Trust Monitor's Grafana dashboards (dashboards/*.json) from the Python definitions beside this file.

    python -m dashboards.generate            # rewrite the committed JSON files
    python -m dashboards.generate --check    # write nothing; exit 1 if a committed file differs from the output
    python dashboards/generate.py --out-dir /var/lib/grafana/dashboards   # a copy for a Grafana host

The output is deterministic (sorted keys, fixed uids, panel ids in layout order), so ``--check`` in the tests
fails whenever a definition changed and the JSON was not regenerated.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards import endpoint_detail, overview, probe_health
from dashboards.common import render

HERE = Path(__file__).resolve().parent

# file name -> builder; the order is the order of the README's sections
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "trust-overview.json": overview.build,
    "endpoint-detail.json": endpoint_detail.build,
    "probe-health.json": probe_health.build,
}


def rendered() -> dict[str, str]:
    """Every dashboard's JSON text by file name."""
    return {name: render(build()) for name, build in DASHBOARDS.items()}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", type=Path, default=HERE, help="where to write (default: %(default)s)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs from the output")
    args = p.parse_args(argv)
    out_dir: Path = args.out_dir
    stale = []
    for name, text in rendered().items():
        path = out_dir / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        for path in stale:
            print(f"{path} is out of date: run python -m dashboards.generate", file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(DASHBOARDS)} dashboards in {out_dir} are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
