"""``make bench``: every performance figure of the issue next to its target, written to bench/RESULTS.md.

    .venv/bin/python bench/run.py [--quick] [--profile bench/results/suite.prof]

Runs bench/throughput.py (the monitor's full suite beside a plain client and the one-at-a-time loop, one capacity
server for all, so the ratios come from one sitting) and bench/footprint.py (peak RSS, start-up, /metrics).
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

from bench import footprint, throughput
from bench._common import REPO, machine


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    unit: str
    target: str
    ok: bool | None  # None: no target or not measured


def _figures(t: dict[str, Any], f: dict[str, Any]) -> list[Figure]:
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
    return out


RATE_LIMIT = 200.0

NOT_MEASURED = [
    "Triton path (a pytriton model holding each request a fixed time with N instances): not in this harness yet",
    "store: bytes per stored sample and the 30-day projection are measured in docs/store.md, not here",
    "scale of work (1×, 4×, 16× the suite): not measured here",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-ms", type=float, default=50)
    parser.add_argument("--capacity", type=int, default=32)
    parser.add_argument("--skip-footprint", action="store_true")
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
    after = machine()
    figures = _figures(t, f)
    width = max(len(x.name) for x in figures)
    for x in figures:
        met = "" if x.ok is None else ("  ok" if x.ok else "  MISSED")
        print(f"{x.name:<{width}}  {_fmt(x.value, x.unit):>14}  target {x.target or '-':<12}{met}")
    for line in NOT_MEASURED:
        print(f"not measured: {line}")
    took = time.perf_counter() - t0
    command = "make bench  # = .venv/bin/python bench/run.py " + " ".join(sys.argv[1:])
    raw = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "command": command, "machine_before": before,
           "machine_after": after, "took_s": took, "throughput": t, "footprint": f}
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
        + _table(figures) + "\n\nNot measured yet:\n\n" + "".join(f"- {x}\n" for x in NOT_MEASURED)
        + f"\nRaw figures: `{json_path.relative_to(REPO)}`.\n")
    print(f"written to {args.out.relative_to(REPO)} and {json_path.relative_to(REPO)} ({took:.0f} s)")


if __name__ == "__main__":
    main()
