"""Benchmark: what committing every answer before it counts costs, against the code before that change.

    .venv/bin/python bench/durability.py [--baseline REV] [--passes 3]

Since the runner commits each answer before it is acknowledged (monitor/batching.py: answers that arrive together
share a transaction), a SIGKILL loses at most one answer per worker instead of up to a 100-result batch. This runs
the same full-suite pass (concurrency 32 against bench/capacity_server.py, 50 ms × 32) with this tree and with a
git worktree of ``--baseline`` (default: the last commit whose runner still batched by 100), alternating A/B so
both see the same machine, and prints CPU per request and requests/s of each. Each pass runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from statistics import median
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASELINE = "2c4e52a"  # main before group commit (issue 11)

# One pass, run with the tree to measure first on sys.path: its own monitor, its own bench helpers.
_PASS = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
from bench import throughput
from bench._common import capacity_server
from monitor.service import Service

async def main():
    db = throughput.REPO / "var" / "bench" / f"durability-{sys.argv[2]}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    with capacity_server(50, 32) as server:
        service = Service(throughput._config(server.base_url, [32], db))
        await service.start()
        try:
            await throughput._monitor_pass(service, "c32", None)  # warm: imports, caches, the limit
            out = await throughput._monitor_pass(service, "c32", None)
        finally:
            await service.stop()
    print(json.dumps(out))

asyncio.run(main())
"""


def _worktree(rev: str) -> Path:
    path = REPO / "var" / "bench" / f"baseline-{rev}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), rev], check=True,
                       capture_output=True)
        # the gRPC stubs are generated, not tracked
        subprocess.run([sys.executable, "-m", "monitor.api.stubs"], cwd=path, check=True, capture_output=True)
    return path


def _pass(tree: Path, tag: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _PASS, str(tree), tag], capture_output=True, text=True, check=False,
                          cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"pass with {tree} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    trees = {"batched (baseline)": _worktree(args.baseline), "group commit (this tree)": REPO}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for i in range(args.passes):
        for name, tree in trees.items():
            runs[name].append(_pass(tree, f"{i}-{'base' if tree != REPO else 'this'}"))
            print(f"pass {i + 1} {name}: {runs[name][-1]['cpu_ms_per_request']:.2f} ms CPU/request, "
                  f"{runs[name][-1]['requests_per_s']:.0f} req/s", flush=True)
    print("\n| code | CPU per request (median) | requests/s (median) | passes |\n|---|---:|---:|---:|")
    for name, passes in runs.items():
        print(f"| {name} | {median(p['cpu_ms_per_request'] for p in passes):.2f} ms | "
              f"{median(p['requests_per_s'] for p in passes):.0f} | {len(passes)} |")
    out = REPO / "bench" / "results" / "durability.json"
    out.write_text(json.dumps({"baseline": args.baseline, "runs": runs}, indent=2) + "\n")
    print(f"\nraw: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
