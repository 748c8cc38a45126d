"""``make bench``: every performance figure of the issue next to its target, written to bench/RESULTS.md.

    .venv/bin/python bench/run.py [--quick] [--profile bench/results/suite.prof]

Runs bench/throughput.py (the monitor's full suite beside a plain client and the one-at-a-time loop, one capacity
server for all, so the ratios come from one sitting), bench/footprint.py (peak RSS, start-up, /metrics),
bench/triton_path.py (the same comparison against a Triton model of known capacity) and bench/scale_of_work.py
(the suite 1×, 4×, 16× through the runner: CPU per request and memory growth).
Figures vary with the machine's load, which is recorded before and after: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import distributed, footprint, scale_of_work, throughput, triton_path
from bench._common import REPO, machine


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    unit: str
    target: str
    ok: bool | None  # None: no target or not measured


def _figures(t: dict[str, Any], f: dict[str, Any], tr: dict[str, Any] | None = None,
             sc: dict[str, Any] | None = None, dist: dict[str, Any] | None = None) -> list[Figure]:
    cap = t["capacity"]
    ceiling = t["ceiling_rps"]
    m1, m2 = t[f"monitor_{cap}"], t[f"monitor_{2 * cap}"]
    p1, p2 = t[f"plain_{cap}"], t[f"plain_{2 * cap}"]
    seq = t["one_at_a_time"]["requests_per_s"]

    def fig(name: str, value: float | None, unit: str, target: str, test: Callable[[float], bool] | None
            ) -> Figure:
        return Figure(name, value, unit, target, None if value is None or test is None else test(value))

    out = [
        fig(f"monitor full suite, concurrency {cap}", m1["requests_per_s"], "req/s", f"ceiling {ceiling:.0f}", None),
        fig(f"monitor full suite, concurrency {2 * cap}", m2["requests_per_s"], "req/s", "", None),
        fig(f"plain client, concurrency {cap}", p1["requests_per_s"], "req/s", "", None),
        fig(f"plain client, concurrency {2 * cap}", p2["requests_per_s"], "req/s", "", None),
        fig("one request at a time", seq, "req/s", "", None),
        fig(f"monitor / ceiling at {cap}", m1["requests_per_s"] / ceiling, "×", "≥ 0.90", lambda v: v >= 0.90),
        fig(f"monitor / ceiling at {2 * cap}", m2["requests_per_s"] / ceiling, "×", "≥ 0.90", lambda v: v >= 0.90),
        fig(f"monitor / plain client at {cap}", m1["requests_per_s"] / p1["requests_per_s"], "×", "≥ 0.95",
            lambda v: v >= 0.95),
        fig(f"monitor / plain client at {2 * cap}", m2["requests_per_s"] / p2["requests_per_s"], "×", "≥ 0.95",
            lambda v: v >= 0.95),
        fig(f"monitor at {cap} / one at a time", m1["requests_per_s"] / seq, "×", "≥ 35", lambda v: v >= 35),
        fig(f"monitor at {2 * cap} / at {cap} (no fall past capacity)", m2["requests_per_s"] / m1["requests_per_s"],
            "×", "≥ 0.95", lambda v: v >= 0.95),
        fig(f"monitor CPU per request, warm, concurrency {cap}", m1["cpu_ms_per_request"], "ms", "≤ 1.0",
            lambda v: v <= 1.0),
        fig(f"monitor CPU per request, warm, concurrency {2 * cap}", m2["cpu_ms_per_request"], "ms", "≤ 1.0",
            lambda v: v <= 1.0),
        fig("monitor CPU per request, first run (cold caches, model imports)", t["monitor_cold"]["cpu_ms_per_request"],
            "ms", "≤ 1.0", lambda v: v <= 1.0),
        fig(f"  of which rule scorers (S.1/S.3's classifier: probes/scoring), concurrency {cap}",
            m1["scoring_cpu_ms_per_request"], "ms", "", None),
        fig(f"monitor CPU per request without scoring, concurrency {cap}",
            m1["cpu_ms_per_request"] - m1["scoring_cpu_ms_per_request"], "ms", "(≤ 1.0 with scoring)", None),
        fig(f"plain client CPU per request, concurrency {cap}", p1["cpu_ms_per_request"], "ms", "(reference)", None),
    ]
    if "rate_limited" in t:
        r = t["rate_limited"]
        out += [
            fig(f"rate-limited server ({r['rate_limit_rps']:.0f} req/s, 429 + Retry-After beyond): completed / limit",
                r["requests_per_s"] / r["rate_limit_rps"], "×", "0.90–1.10", lambda v: 0.9 <= v <= 1.1),
            fig("  requests finally failed for rate limiting", r["failed_rate_limited"], "", "0", lambda v: v == 0),
            fig("  429 answers (both passes) / adaptive limit at the end", r["server_429s"], "",
                f"(limit {r['limit_at_end']})", None),
        ]
    if "rate_budgeted" in t:
        r = t["rate_budgeted"]
        out += [
            fig("same server, with requests_per_minute = its limit: completed / limit",
                r["requests_per_s"] / r["rate_limit_rps"], "×", "0.90–1.10", lambda v: 0.9 <= v <= 1.1),
            fig("  429 answers (both passes)", r["server_429s"], "", "(none needed)", None),
        ]
    if "exposition" in f:
        e = f["exposition"]
        out += [fig("Metrics.exposition() p99, same 100 endpoints, idle (what /metrics serves, in a thread)",
                    e["idle_p99_ms"], "ms", "≤ 50", lambda v: v <= 50),
                fig("Metrics.exposition() p99, one probe event between scrapes", e["busy_p99_ms"], "ms", "≤ 50",
                    lambda v: v <= 50),
                fig("Metrics.exposition(), first scrape after a publication", e["after_publication_ms"], "ms",
                    "(once per run end)", None)]
    if "rss" in f:
        r = f["rss"]
        out += [fig(f"peak RSS of serve, {r['endpoints']} endpoints running the full suite", r["peak_rss_mb"], "MB",
                    "≤ 200", lambda v: v <= 200),
                fig("torch imported without an hf-local endpoint", float(r["torch_loaded"]), "", "0 (no)",
                    lambda v: v == 0)]
    if "startup" in f:
        s = f["startup"]
        ready = [k for k in s if k.startswith("ready_s_")]
        for k in ready:
            n = k.removeprefix("ready_s_").removesuffix("_endpoints")
            out.append(fig(f"start-up to /readyz, store of {s['store_runs']:,} runs, {n} endpoints", s[k], "s",
                           "≤ 2", lambda v: v <= 2))
        out.append(fig(f"/metrics p99 over {s['metrics_scrapes']} scrapes, {s['metrics_endpoints']} endpoints × 32 "
                       f"tasks ({s['metrics_series']:,} series), the first right after start-up", s["metrics_p99_ms"],
                       "ms", "≤ 50", lambda v: v <= 50))
        out.append(fig("  /metrics p50 of the same scrapes (the first renders every series once)",
                       s["metrics_p50_ms"], "ms", "", None))
    if tr is not None:
        out += _triton_figures(tr, fig)
    if sc is not None:
        out += _scale_figures(sc, fig)
    if dist is not None:
        out += _distributed_figures(dist, fig)
    return out


def _triton_figures(tr: dict[str, Any], fig: Callable[..., Figure]) -> list[Figure]:
    n, ceiling = tr["instances"], tr["ceiling_rps"]
    m1, m2 = tr[f"monitor_{n}"], tr[f"monitor_{2 * n}"]
    p1, p2 = tr[f"plain_{n}"], tr[f"plain_{2 * n}"]
    return [
        fig(f"Triton: monitor full suite, concurrency {n}", m1["requests_per_s"], "req/s",
            f"ceiling {ceiling:.0f}", None),
        fig(f"Triton: monitor full suite, concurrency {2 * n}", m2["requests_per_s"], "req/s", "", None),
        fig(f"Triton: plain grpc.aio client, concurrency {n}", p1["requests_per_s"], "req/s", "", None),
        fig(f"Triton: plain grpc.aio client, concurrency {2 * n}", p2["requests_per_s"], "req/s", "", None),
        fig(f"Triton: monitor / ceiling at {n}", m1["requests_per_s"] / ceiling, "×", "≥ 0.90", lambda v: v >= 0.90),
        fig(f"Triton: monitor / ceiling at {2 * n}", m2["requests_per_s"] / ceiling, "×", "≥ 0.90",
            lambda v: v >= 0.90),
        fig(f"Triton: monitor / plain client at {n}", m1["requests_per_s"] / p1["requests_per_s"], "×", "≥ 0.95",
            lambda v: v >= 0.95),
        fig(f"Triton: monitor / plain client at {2 * n}", m2["requests_per_s"] / p2["requests_per_s"], "×", "≥ 0.95",
            lambda v: v >= 0.95),
        fig(f"Triton: monitor CPU per request, warm, concurrency {n}", m1["cpu_ms_per_request"], "ms", "≤ 1.0",
            lambda v: v <= 1.0),
        fig(f"Triton: monitor CPU per request, warm, concurrency {2 * n}", m2["cpu_ms_per_request"], "ms", "≤ 1.0",
            lambda v: v <= 1.0),
        fig(f"Triton: plain client CPU per request, concurrency {n} (tensors built by the monitor's adapter)",
            p1["cpu_ms_per_request"], "ms", "(reference)", None),
    ]


def _distributed_figures(d: dict[str, Any], fig: Callable[..., Figure]) -> list[Figure]:
    ceiling, workers, cap = d["ceiling_rps"], d["workers"], d["capacity"]
    out: list[Figure] = []
    for suffix, width in (("", cap), ("_2x", 2 * cap)):
        single, dist = d[f"single{suffix}"], d[f"distributed{suffix}"]
        out += [
            fig(f"distributed: 1 API + {workers} workers on PostgreSQL, full suite, concurrency {width}, start to "
                "finish", dist["requests_per_s"], "req/s", f"ceiling {ceiling:.0f}", None),
            fig(f"  single mode, concurrency {width}, same server, same sitting (SQLite, one process)",
                single["requests_per_s"], "req/s", "", None),
            fig(f"distributed / ceiling while sending (first request to last answer), concurrency {width}",
                dist["sending_requests_per_s"] / ceiling, "×", "≥ 0.90", lambda v: v >= 0.90),
            fig(f"  single mode / ceiling while sending, concurrency {width}",
                single["sending_requests_per_s"] / ceiling, "×", "(reference)", None),
            fig(f"  distributed / single mode, start to finish, concurrency {width}",
                dist["requests_per_s"] / single["requests_per_s"], "×", "(reference)", None),
            fig(f"  distributed: planning + scoring outside the sending, concurrency {width}",
                dist["outside_sending_s"], "s", "", None),
            fig(f"  distributed: CPU per request, every monitor process, concurrency {width}",
                dist["cpu_ms_per_request"], "ms", "", None),
        ]
    return out


def _scale_figures(sc: dict[str, Any], fig: Callable[..., Figure]) -> list[Figure]:
    sizes = sc["sizes"]
    keys = sorted(sizes, key=int)
    out: list[Figure] = []
    for k in keys:
        r = sizes[k]
        out += [
            fig(f"scale {k}× the suite ({r['requests']:,} requests): wall time", r["wall_s"], "s", "", None),
            fig(f"  {k}×: monitor CPU per request", r["cpu_ms_per_request"], "ms", "", None),
            fig(f"  {k}×: peak RSS growth over the warmed-up process, whole run", r["peak_rss_growth_mb"], "MB", "",
                None),
            fig(f"  {k}×: RSS growth while answering (items list alone: {r['items_list_mb']:.1f} MB allocated)",
                r["rss_growth_answering_mb"], "MB", "", None),
            fig(f"  {k}×: RSS growth at the run's end (its results read back and aggregated)",
                r["rss_growth_run_end_mb"], "MB", "", None),
        ]
    first, last = sizes[keys[0]], sizes[keys[-1]]
    growth = int(keys[-1]) // int(keys[0])
    out += [
        fig(f"scale: CPU per request at {keys[-1]}× / at {keys[0]}× (linear cost)",
            last["cpu_ms_per_request"] / first["cpu_ms_per_request"], "×", "≤ 1.2", lambda v: v <= 1.2),
        fig(f"scale: wall time at {keys[-1]}× / at {keys[0]}× ({growth}× the work)", last["wall_s"] / first["wall_s"],
            "×", f"≤ {growth * 1.2:g}", lambda v: v <= growth * 1.2),
        fig(f"scale: RSS growth while answering, {keys[-1]}× / {keys[0]}× (flat memory)",
            last["rss_growth_answering_mb"] / first["rss_growth_answering_mb"], "×", "≤ 2 (about flat)",
            lambda v: v <= 2),
        fig(f"scale: peak RSS growth, whole run, {keys[-1]}× / {keys[0]}× (flat memory)",
            last["peak_rss_growth_mb"] / first["peak_rss_growth_mb"], "×", "≤ 2 (about flat)",
            lambda v: v <= 2),
        fig("  items list per item (WorkItem + sample copy; the list itself is O(n))",
            last["items_bytes_per_item"], "B", "", None),
    ]
    return out


RATE_LIMIT = 200.0

NOT_MEASURED = [
    "store: bytes per stored sample and the 30-day projection are measured in docs/store.md, not here",
]


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    text = f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return f"{text} {unit}".strip()


def _table(figures: list[Figure]) -> str:
    rows = ["| figure | value | target | met |", "|---|---:|---|---|"]
    for x in figures:
        met = "" if x.ok is None else ("yes" if x.ok else "**no**")
        rows.append(f"| {x.name} | {_fmt(x.value, x.unit)} | {x.target} | {met} |")
    return "\n".join(rows)


def _setup_notes(tr: dict[str, Any] | None, sc: dict[str, Any] | None, dist: dict[str, Any] | None = None) -> str:
    """What the Triton path and the scale-of-work figures were measured against, for RESULTS.md."""
    out = ""
    if tr is not None:
        out += (f"Triton path: bench/triton_capacity_server.py, a Python-backend model on the tritonserver that "
                f"nvidia-pytriton ships, {tr['instances']} instances each holding a request {tr['service_ms']:g} ms "
                f"(ceiling {tr['ceiling_rps']:.0f} req/s), its own process; preset python-backend with the image as "
                "a base64 PNG; the plain client is tritonclient grpc.aio sending the tensors the monitor's adapter "
                "builds.\n\n")
    if sc is not None:
        sizes = "/".join(sorted(sc["sizes"], key=int))
        out += (f"Scale of work: bench/scale_of_work.py, the suite's samples copied {sizes}× with distinct ids "
                f"through monitor.runner.Runner.execute and a SQLite store, concurrency {sc['concurrency']}, against "
                f"bench/capacity_server.py {sc['service_ms']:g} ms × {sc['capacity']} (the monitor is the "
                "bottleneck); each size in its own warmed-up process.\n\n")
    if dist is not None:
        out += (f"Distributed: bench/distributed.py, `trust-monitor serve --role api` and {dist['workers']} × `--role "
                "worker` as processes on a throwaway PostgreSQL (tests/pg_server.py), against "
                f"bench/capacity_server.py {dist['service_ms']:g} ms × {dist['capacity']} "
                f"(ceiling {dist['ceiling_rps']:.0f} req/s), beside one "
                "single-mode process on SQLite against the same server; each mode warmed up by one run first. "
                "Start to finish is the run's started_at to finished_at in the store; \"while sending\" is the "
                "server's own first request to last answer.\n\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-ms", type=float, default=50)
    parser.add_argument("--capacity", type=int, default=32)
    parser.add_argument("--skip-footprint", action="store_true")
    parser.add_argument("--skip-triton", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-distributed", action="store_true")
    parser.add_argument("--triton-service-ms", type=float, default=50)
    parser.add_argument("--triton-instances", type=int, default=16)
    parser.add_argument("--scale-sizes", default="1,4,16")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args()
    before = machine()
    t0 = time.perf_counter()
    print(f"throughput: capacity server {args.service_ms:g} ms × {args.capacity} ...", flush=True)
    t = asyncio.run(throughput.measure(args.service_ms, args.capacity, args.profile))
    print(f"rate limit: {RATE_LIMIT:g} req/s ...", flush=True)
    t["rate_limited"] = asyncio.run(throughput.rate_limited(RATE_LIMIT))
    t["rate_budgeted"] = asyncio.run(throughput.rate_limited(RATE_LIMIT, budgeted=True))
    f: dict[str, Any] = {}
    if not args.skip_footprint:
        print("footprint: start-up, /metrics, peak RSS ...", flush=True)
        f["startup"] = footprint.startup_and_metrics()
        f["exposition"] = footprint.exposition_cache()
        f["rss"] = footprint.peak_rss()
    tr: dict[str, Any] | None = None
    if not args.skip_triton:
        print(f"Triton path: {args.triton_service_ms:g} ms × {args.triton_instances} instances ...", flush=True)
        tr = asyncio.run(triton_path.measure(args.triton_service_ms, args.triton_instances))
    sc: dict[str, Any] | None = None
    if not args.skip_scale:
        print(f"scale of work: the suite × {args.scale_sizes} ...", flush=True)
        sc = scale_of_work.measure([int(k) for k in args.scale_sizes.split(",")])
    dist: dict[str, Any] | None = None
    if not args.skip_distributed:
        print("distributed: 1 API replica + 3 workers on PostgreSQL beside single mode ...", flush=True)
        dist = asyncio.run(distributed.measure())
    after = machine()
    figures = _figures(t, f, tr, sc, dist)
    width = max(len(x.name) for x in figures)
    for x in figures:
        met = "" if x.ok is None else ("  ok" if x.ok else "  MISSED")
        print(f"{x.name:<{width}}  {_fmt(x.value, x.unit):>14}  target {x.target or '-':<12}{met}")
    for line in NOT_MEASURED:
        print(f"not measured: {line}")
    took = time.perf_counter() - t0
    command = "make bench  # = .venv/bin/python bench/run.py " + " ".join(sys.argv[1:])
    raw = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "command": command, "machine_before": before,
           "machine_after": after, "took_s": took, "throughput": t, "footprint": f,
           "triton": tr, "scale_of_work": sc, "distributed": dist}
    json_path = REPO / "bench" / "results" / f"bench-{before['host'] or 'host'}.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(raw, indent=2) + "\n")
    args.out.write_text(
        "# Benchmark results\n\n"
        f"Command: `{command.strip()}` — took {took:.0f} s.\n\n"
        f"Date: {raw['at']}. Machine: {before['host']}, {before['cpus']} × {before['cpu_model']}, "
        f"{before['memory_gb']} GB, Python {before['python']}, {before['platform']}. Load average (1/5/15 min) "
        f"{before['load_average_1_5_15']} before, {after['load_average_1_5_15']} after: other work shares this "
        "machine, so read the ratios (measured in one sitting against one server), not the absolute rates.\n\n"
        f"Endpoint: bench/capacity_server.py, OpenAI-compatible, {args.service_ms:g} ms service time, "
        f"{args.capacity} requests served at once (ceiling {t['ceiling_rps']:.0f} req/s), its own process. "
        f"Suite: {t['suite_requests']:,} requests (32 tasks, all variants).\n\n"
        + _setup_notes(tr, sc, dist)
        + _table(figures) + "\n\nNot measured yet:\n\n" + "".join(f"- {x}\n" for x in NOT_MEASURED)
        + f"\nRaw figures: `{json_path.relative_to(REPO)}`.\n")
    print(f"written to {args.out.relative_to(REPO)} and {json_path.relative_to(REPO)} ({took:.0f} s)")


if __name__ == "__main__":
    main()
