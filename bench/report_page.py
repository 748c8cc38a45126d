"""Benchmark: page weight and render time of the run report for a full-suite run, in headless Chromium.

    .venv/bin/python bench/report_page.py [--out bench/results] [--repeat 5]

Serves the demo model's version 1 on a real Triton server (a model repository, tests/triton_repository.py), runs
the whole suite (32 tasks, 3,179 requests), rolls out version 2 and runs it again, so the second run has a
reference, verdicts and changed samples. Then, on the monitor's own listener, it measures:

- the server: time to answer (the first GET, and the median of ``--repeat``) and bytes of /runs, the run page
  (opening on its regressed task), the run page of the task with the most samples, the comparison, and the
  one-file export;
- the browser (Debian's chromium through Playwright): for the same pages, the navigation timing (response end,
  DOMContentLoaded, load) and every byte the page pulled in (the page itself and its images);
- the export opened from disk: its size and load time.

Results go to bench/results/report_page-<host>.json with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.config import Config  # noqa: E402
from monitor.service import Service  # noqa: E402
from monitor.web import views  # noqa: E402
from tests.triton_repository import build_demo_versions, running_repository_server  # noqa: E402

NAVIGATION = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return {response_end_ms: n.responseEnd, dom_content_loaded_ms: n.domContentLoadedEventEnd,
          load_ms: n.loadEventEnd, document_bytes: n.encodedBodySize,
          resources: resources.length, resource_bytes: resources.reduce((s, r) => s + r.encodedBodySize, 0),
          elements: document.getElementsByTagName('*').length};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _run(service: Service) -> str:
    record = service.runs.start("demo", None, "api")
    await service.runs.wait(record.id)
    done = service.store.get_run(record.id)
    assert done is not None and done.status.value == "succeeded", done
    print(f"run {done.id}: {done.total_items} requests, model version {done.model_version}", flush=True)
    return done.id


async def _served(triton: Any, version: str, timeout_s: float = 120.0) -> None:
    """Wait until Triton serves ``version`` of the model (it polls its repository)."""
    deadline = time.monotonic() + timeout_s
    for _ in range(int(timeout_s * 2)):
        if version in triton.served_versions():
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    raise SystemExit(f"Triton did not serve version {version} within {timeout_s:g}s")


async def _server_side(base: str, path: str, repeat: int) -> dict[str, Any]:
    times: list[float] = []
    size = 0
    async with aiohttp.ClientSession() as http:
        for _ in range(repeat):
            t0 = time.perf_counter()
            async with http.get(base + path) as r:
                body = await r.read()
                assert r.status == 200, (path, r.status)
            times.append(time.perf_counter() - t0)
            size = len(body)
    # the first GET reads the runs' results from the store; later ones find them cached (finished runs)
    return {"server_ms_first": round(1000 * times[0], 1), "server_ms_median": round(1000 * statistics.median(times), 1),
            "server_ms_min": round(1000 * min(times), 1), "bytes": size}


async def _browser(chromium: str, pages: dict[str, str], export: Path) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    out: dict[str, Any] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium)
        page = await browser.new_page(viewport={"width": 1400, "height": 1100})
        for name, url in {**pages, "export_file": export.as_uri()}.items():
            await page.goto("about:blank")
            t0 = time.perf_counter()
            await page.goto(url, wait_until="load")
            wall = time.perf_counter() - t0
            timing = await page.evaluate(NAVIGATION)
            out[name] = {**{k: round(v, 1) if isinstance(v, float) else v for k, v in timing.items()},
                         "wall_ms": round(1000 * wall, 1)}
        await browser.close()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (make system-deps)")
    tmp = Path(tempfile.mkdtemp(prefix="tm-report-bench-"))
    http = f"127.0.0.1:{_free_port()}"
    base = f"http://{http}"
    versions = build_demo_versions()
    with running_repository_server(versions, live="1") as triton:
        config = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp}/bench.db"},
            "server": {"grpc_listen": f"127.0.0.1:{_free_port()}", "http_listen": http},
            "endpoints": [{"name": "demo", "kind": "triton", "url": triton.grpc_url, "model": triton.model_name,
                           "concurrency": 4, "timeout": "60s", "max_tokens": 32}],
        })
        service = Service(config)
        await service.start()
        try:
            before = await _run(service)
            triton.roll_out("2")
            await _served(triton, "2")
            after = await _run(service)
            sources = service.web.sources
            assert sources is not None
            view = views.run_view(sources, after, views.RunQuery())
            largest = max((r for r in view.tasks if r.ran), key=lambda r: r.counts["all"])
            pages = {
                "runs": "/runs",
                "run": f"/runs/{after}",
                "run_largest_task": f"/runs/{after}?task={largest.task.id}",
                "compare": f"/runs/{before}/compare/{after}",
                "export_download": f"/runs/{after}/report.html",
            }
            server = {name: await _server_side(base, path, args.repeat) for name, path in pages.items()}
            export = tmp / "report.html"
            async with aiohttp.ClientSession() as session, session.get(base + pages["export_download"]) as r:
                export.write_bytes(await r.read())
            browser_pages = {k: base + v for k, v in pages.items() if k != "export_download"}
            browser = await _browser(chromium, browser_pages, export)
            samples = {"opened_task": view.selected, "opened_task_samples": next(
                r.counts["all"] for r in view.tasks if r.task.id == view.selected),
                "largest_task": largest.task.id, "largest_task_samples": largest.counts["all"],
                "run_samples": sum(r.counts["all"] for r in view.tasks)}
        finally:
            await service.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "benchmark": "report_page", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "browser": "Debian chromium (headless, Playwright)"},
        "runs": "full suite on the demo model, version 1 then version 2 (the second run is measured)",
        "samples": samples, "server": server, "browser": browser,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"report_page-{platform.node() or 'host'}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    for name in pages:
        s = server[name]
        b = browser.get(name, {})
        print(f"{name:18} {s['bytes'] / 1e3:8.1f} kB  server first {s['server_ms_first']:7.1f} ms, median "
              f"{s['server_ms_median']:7.1f} ms"
              + (f"  browser load {b['load_ms']:7.1f} ms, {b['resources']} resources "
                 f"{b['resource_bytes'] / 1e3:.1f} kB" if b else ""))
    e = browser["export_file"]
    print(f"{'export_file':18} {server['export_download']['bytes'] / 1e6:8.2f} MB  browser load {e['load_ms']:.1f} ms")
    print(f"written to {path}")


if __name__ == "__main__":
    asyncio.run(main())
