"""Scale of work: how a run's cost grows with its samples (the suite repeated 1×, 4×, 16×).

    .venv/bin/python bench/scale_of_work.py [--sizes 1,4,16] [--concurrency 64]

Each size runs in its own process (``--one K`` is that child), against one bench/capacity_server.py of far more
capacity than the monitor can use (1 ms service time, 1,024 slots), so the monitor is the bottleneck. The child
warms up (imports, the S.1/S.3 classifier, every suite image prepared and its data URL made, a short run of two
samples per task and variant), resets its peak RSS (``/proc/self/clear_refs``), builds the work items of the
suite K times over (copies of every sample with a distinct id, ``<id>~rJ``, so each is stored once), and sends
them through the real runner (``monitor.runner.Runner.execute``) with a real SQLite store. It reports wall time,
CPU per request (the process's CPU over the run: requests, scoring, store, events), the items list's own
allocation (tracemalloc over a second copy built after the run), the peak RSS growth over the warmed-up process
during the run, and VmRSS sampled every 50 ms, split at the last answer (while answering / the run's end).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, capacity_server, cpu_s, free_port, machine
from bench.clients import MODEL

SERVICE_MS = 1.0
CAPACITY = 1024


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


class _RssSampler(threading.Thread):
    """VmRSS every 50 ms: its maximum while requests are still being answered, and after (the run's end: its
    results read back and scored per task)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.answering = True
        self.peak_answering_kb = 0
        self.peak_after_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.05):
            rss = _rss_kb("VmRSS")
            if self.answering:
                self.peak_answering_kb = max(self.peak_answering_kb, rss)
            else:
                self.peak_after_kb = max(self.peak_after_kb, rss)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _fresh_db(repeat: int) -> Path:
    db = REPO / "var" / "bench" / f"scale-{repeat}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


async def _child(base_url: str, repeat: int, concurrency: int, db: Path) -> dict[str, Any]:
    from monitor import events, images
    from monitor.adapters import create_adapter
    from monitor.config import Config
    from monitor.runner import Runner, WorkItem
    from monitor.store import Store
    from probes.catalogue import all_tasks, suite_version

    config = Config.model_validate({
        "store": {"url": f"sqlite:///{db}"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "endpoints": [{"name": "scale", "kind": "openai", "base_url": base_url, "model": MODEL,
                       "concurrency": concurrency, "max_tokens": 32, "timeout": "30s"}],
    })
    endpoint = config.endpoints[0]
    store = Store(config.store.url)
    bus = events.EventBus()
    runner = Runner(store, bus)
    sampler = _RssSampler()

    def on_event(event: events.Event) -> None:
        if event.kind == events.SAMPLE_DONE and event.done >= event.total:
            sampler.answering = False  # the last answer is in: what follows is the run's end

    bus.subscribe(on_event)
    adapter = create_adapter(endpoint)
    tasks = all_tasks()
    version = suite_version()

    async def run(items: list[WorkItem]) -> str:
        record = store.create_run(endpoint.name, "api", list(tasks), version, config.suite.profile)
        outcome = await runner.execute(record.id, "api", endpoint, adapter, items, profile=config.suite.profile,
                                       min_scored=config.suite.min_scored_samples, identity=None, tasks=tasks)
        return outcome.status.value

    try:
        # warm-up: imports, the classifier, every image of the suite prepared and encoded (as after a first run)
        for task in tasks.values():
            for variant, sample in task.items():
                path = task.image_path(sample, variant)
                if path is not None:
                    images.load(path).data_url_json()  # what the OpenAI adapter sends, made once per image
        await run([WorkItem(t, v, s) for t in tasks.values() for v in t.variants for s in t.samples[:2]])
        peak_reset = _reset_peak()
        rss0 = _rss_kb("VmRSS")

        def build() -> list[WorkItem]:
            return [WorkItem(task, variant, dataclasses.replace(sample, id=f"{sample.id}~r{j}"))
                    for j in range(repeat) for task in tasks.values() for variant, sample in task.items()]

        items = build()
        rss_items = _rss_kb("VmRSS")

        sampler.answering = True
        sampler.start()
        cpu0, t0 = cpu_s(), time.perf_counter()
        status = await run(items)
        wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
        sampler.stop()
        tracemalloc.start()  # the items list's own allocation, measured on a second copy after the run
        again = build()
        items_bytes = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del again
        stored = store.get_run(store.list_runs(endpoint.name, 1)[0].id)
        assert stored is not None
        return {"repeat": repeat, "requests": len(items), "status": status, "stored": stored.done_items,
                "errors": stored.error_items, "wall_s": wall, "requests_per_s": len(items) / wall,
                "cpu_ms_per_request": 1000 * cpu / len(items), "items_list_mb": items_bytes / 2**20,
                "items_bytes_per_item": items_bytes / len(items), "rss_before_mb": rss0 / 1024,
                "rss_growth_items_mb": (rss_items - rss0) / 1024, "peak_reset": peak_reset,
                "peak_rss_growth_mb": (_rss_kb("VmHWM") - rss0) / 1024,
                "rss_growth_answering_mb": (sampler.peak_answering_kb - rss0) / 1024,
                "rss_growth_run_end_mb": (sampler.peak_after_kb - rss0) / 1024}
    finally:
        await adapter.close()


def measure(sizes: list[int], concurrency: int = 64) -> dict[str, Any]:
    out: dict[str, Any] = {"service_ms": SERVICE_MS, "capacity": CAPACITY, "concurrency": concurrency, "sizes": {}}
    with capacity_server(SERVICE_MS, CAPACITY) as server:
        for k in sizes:
            proc = subprocess.run([sys.executable, __file__, "--one", str(k), "--base-url", server.base_url,
                                   "--concurrency", str(concurrency)], capture_output=True, text=True, check=False,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if proc.returncode != 0:
                raise RuntimeError(f"scale-of-work child ({k}×) failed:\n{proc.stderr[-3000:]}")
            out["sizes"][str(k)] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(asyncio.run(_child(args.base_url, args.one, args.concurrency, _fresh_db(args.one)))))
        return
    result = measure([int(k) for k in args.sizes.split(",")], args.concurrency)
    print(json.dumps({"machine": machine(), **result}, indent=2))


if __name__ == "__main__":
    main()
