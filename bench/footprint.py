"""The monitor process's footprint: peak RSS under load, start-up time, and /metrics latency.

    .venv/bin/python bench/footprint.py

* Peak RSS of ``trust-monitor serve`` with 10 endpoints, each running the full suite at start-up against the
  capacity server (no local model); also whether torch or transformers got imported.
* Start-up to ``/readyz`` 200 with a store holding 10,000 runs (100 endpoints × 100 runs × 32 task scores), and
  the CPU the process spent until then (steadier than wall time on a shared machine). The package's bytecode is
  compiled first, as an installed package has it (``pip install``, the Docker image): a source checkout run with
  ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module of ``monitor`` and ``probes`` on each start.
* ``/metrics`` latency over 100 scrapes of that process, which publishes 100 endpoints × 32 tasks of series; the
  first scrape, right after ``/readyz``, is also given on its own.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, capacity_server, free_port
from bench.clients import MODEL

TMP = REPO / "var" / "bench"
TRUST_MONITOR = str(REPO / ".venv" / "bin" / "trust-monitor")


def _write_config(path: Path, db: Path, endpoints: list[dict[str, Any]]) -> tuple[int, int]:
    grpc_port, http_port = free_port(), free_port()
    path.write_text(yaml.safe_dump({
        "store": {"url": f"sqlite:///{db}"},
        "server": {"grpc_listen": f"127.0.0.1:{grpc_port}", "http_listen": f"127.0.0.1:{http_port}"},
        "endpoints": endpoints,
    }))
    return grpc_port, http_port


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def _proc_status(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM:", "VmRSS:")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0]) * 1024
    return out


def _serve(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([TRUST_MONITOR, "serve", "--config", str(config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err.decode(errors="replace")


def peak_rss(endpoints: int = 10, limit_s: float = 240) -> dict[str, Any]:
    """Serve ``endpoints`` endpoints that each run the full suite at start-up; peak RSS until all finished."""
    TMP.mkdir(parents=True, exist_ok=True)
    db = TMP / "rss.db"
    db.unlink(missing_ok=True)
    with capacity_server(50, 32 * endpoints) as server:
        eps = [{"name": f"ep{i}", "kind": "openai", "base_url": server.base_url, "model": MODEL, "concurrency": 32,
                "max_tokens": 32, "schedule": {"interval": "24h", "run_on_start": True}} for i in range(endpoints)]
        config = TMP / "rss.yaml"
        _, http_port = _write_config(config, db, eps)
        t0 = time.perf_counter()
        proc, _ = _ready_serve(config, http_port)
        try:
            finished = False
            while time.perf_counter() - t0 < limit_s:
                time.sleep(1)
                if proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=30) as resp:
                        text = resp.read().decode()
                except OSError:
                    continue
                runs = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                           if line.startswith("trust_runs_total{"))
                if runs >= endpoints:
                    finished = True
                    break
            wall = time.perf_counter() - t0
            mem = _proc_status(proc.pid)
            modules = Path(f"/proc/{proc.pid}/maps").read_text()
        finally:
            err = _stop(proc)
    return {"endpoints": endpoints, "all_runs_finished": finished, "wall_s": wall,
            "peak_rss_mb": mem.get("VmHWM", 0) / 1e6, "rss_at_end_mb": mem.get("VmRSS", 0) / 1e6,
            "torch_loaded": "libtorch" in modules, "stderr_tail": err[-500:] if not finished else ""}


def _big_store(db: Path, endpoints: int, runs_each: int) -> float:
    """A SQLite store holding endpoints × runs_each finished runs, 32 task scores each: one run written through
    the Store, then cloned in SQL (the Store's one transaction per call would take minutes here)."""
    import sqlite3

    from monitor.store import RunStatus, Store, TaskScoreRecord
    from probes.catalogue import all_tasks, suite_version

    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    tasks = list(all_tasks())
    with Store(f"sqlite:///{db}") as store:
        run = store.create_run("ep0", "schedule", tasks, suite_version(), "default")
        store.mark_running(run.id, model=MODEL, model_version="1", model_fingerprint="fp", total_items=3179)
        store.save_task_scores(run.id, [TaskScoreRecord(t, 0.5 + 0.01 * i, 0.4, 0.9, 90, 0, 10)
                                        for i, t in enumerate(tasks)])
        store.finish_run(run.id, RunStatus.SUCCEEDED)
    total = endpoints * runs_each
    con = sqlite3.connect(db)
    with con:
        run_cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")]
        score_cols = [r[1] for r in con.execute("PRAGMA table_info(task_scores)")]
        nums = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {total - 1}) "
        special = {"id": "printf('bench%06d', n.i)", "endpoint": f"'ep' || (n.i / {runs_each})"}
        picks = ", ".join(special.get(c, f'r."{c}"') for c in run_cols)
        con.execute(f"INSERT INTO runs ({', '.join(chr(34) + c + chr(34) for c in run_cols)}) {nums}"
                    f"SELECT {picks} FROM runs r, n WHERE r.id = ?", (run.id,))
        picks = ", ".join("printf('bench%06d', n.i)" if c == "run_id" else f's."{c}"' for c in score_cols)
        con.execute(f"INSERT INTO task_scores ({', '.join(score_cols)}) {nums}"
                    f"SELECT {picks} FROM task_scores s, n WHERE s.run_id = ?", (run.id,))
        count = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    con.close()
    assert count == total, count
    return time.perf_counter() - t0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _compile_bytecode() -> None:
    """Compile ``monitor`` and ``probes`` (into their ``__pycache__``, git-ignored), as installing the package does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "monitor"), str(REPO / "probes")],
                   check=True, stdout=subprocess.DEVNULL)


def _ready_serve(config: Path, http_port: int) -> tuple[subprocess.Popen[bytes], float]:
    t0 = time.perf_counter()
    proc = _serve(config)
    while _status(f"http://127.0.0.1:{http_port}/readyz") != 200:
        if proc.poll() is not None or time.perf_counter() - t0 > 120:
            raise RuntimeError(f"serve did not get ready: {_stop(proc)[-800:]}")
        time.sleep(0.01)
    return proc, time.perf_counter() - t0


def startup_and_metrics(endpoints: int = 100, runs_each: int = 100, startup_endpoints: int = 10,
                        scrapes: int = 100) -> dict[str, Any]:
    """Start-up to /readyz with ``startup_endpoints`` endpoints configured, then with all of them (100 × 32 tasks
    of series published), scraped ``scrapes`` times."""
    TMP.mkdir(parents=True, exist_ok=True)
    db = TMP / "big-store.db"
    built = _big_store(db, endpoints, runs_each)
    _compile_bytecode()
    out: dict[str, Any] = {"store_runs": endpoints * runs_each, "store_built_s": built, "bytecode": "compiled",
                           "load_before": os.getloadavg()[0]}
    for n in (startup_endpoints, endpoints):
        eps = [{"name": f"ep{i}", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": MODEL}
               for i in range(n)]
        config = TMP / f"big-{n}.yaml"
        _, http_port = _write_config(config, db, eps)
        proc, ready_s = _ready_serve(config, http_port)
        out[f"ready_s_{n}_endpoints"] = ready_s
        out[f"cpu_to_ready_s_{n}_endpoints"] = _cpu_s(proc.pid)
        if n != endpoints:
            _stop(proc)
            continue
        try:
            latencies: list[float] = []
            body = b""
            for _ in range(scrapes):
                s0 = time.perf_counter()
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10) as resp:
                    body = resp.read()
                latencies.append(time.perf_counter() - s0)
        finally:
            _stop(proc)
        lines = body.decode().splitlines()
        out["metrics_first_ms"] = 1000 * latencies[0]
        latencies.sort()
        out.update({
            "load_after": os.getloadavg()[0], "metrics_endpoints": n, "metrics_scrapes": scrapes,
            "metrics_p50_ms": 1000 * latencies[len(latencies) // 2],
            "metrics_p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "metrics_bytes": len(body), "metrics_series": sum(1 for x in lines if x and not x.startswith("#")),
            "task_score_series": sum(1 for x in lines if x.startswith("trust_task_score{")),
        })
    return out


def exposition_cache(endpoints: int = 100, scrapes: int = 100) -> dict[str, Any]:
    """``Metrics.exposition()`` (what /metrics serves once monitor/http.py calls it) over the same store: idle,
    and with one probe event between scrapes (a run in progress: the families probe events change are read again,
    and that endpoint's series of them formatted again)."""
    from prometheus_client import generate_latest

    from monitor import events
    from monitor.config import Config
    from monitor.metrics import Metrics
    from monitor.published import Publisher
    from monitor.store import Store
    from probes.catalogue import all_tasks

    config = Config.model_validate({"endpoints": [
        {"name": f"ep{i}", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": MODEL}
        for i in range(endpoints)]})
    metrics = Metrics()
    with Store(f"sqlite:///{TMP / 'big-store.db'}") as store:
        for ep in config.endpoints:
            metrics.init_endpoint(ep.name)
            metrics.on_event(events.Event(events.SAMPLE_DONE, ep.name, "r", outcome="ok", latency_s=0.05,
                                          tokens_in=11, tokens_out=7))
        Publisher(config, store, metrics, all_tasks(), lambda _: list(all_tasks())).restore()
    gc.freeze()  # as serve does once started (monitor/service.py): a full collection skips what start-up made
    t0 = time.perf_counter()
    metrics.exposition()  # the first scrape after a publication renders the score families again
    out: dict[str, Any] = {"after_publication_ms": 1000 * (time.perf_counter() - t0)}
    for case in ("idle", "busy"):
        times = []
        for i in range(scrapes):
            if case == "busy":
                metrics.on_event(events.Event(events.SAMPLE_DONE, f"ep{i % endpoints}", "r", outcome="ok",
                                              latency_s=0.05))
            t0 = time.perf_counter()
            metrics.exposition()
            times.append(time.perf_counter() - t0)
        times.sort()
        out[f"{case}_p99_ms"] = 1000 * times[min(len(times) - 1, int(0.99 * len(times)))]
    t0 = time.perf_counter()
    generate_latest(metrics.registry)
    out["generate_latest_ms"] = 1000 * (time.perf_counter() - t0)
    return out


def main() -> None:
    out = {"startup": startup_and_metrics(), "rss": peak_rss()}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
