"""The ``trust-monitor`` command line: the server, config checks, and a gRPC client of a running server."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

DEFAULT_SERVER = "127.0.0.1:50051"
EXIT_USAGE = 2


def _add_client_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", default=os.environ.get("TRUST_MONITOR_SERVER", DEFAULT_SERVER),
                   help="gRPC address of the running monitor (env TRUST_MONITOR_SERVER; default %(default)s)")
    p.add_argument("--token-env", default="TRUST_MONITOR_TOKEN",
                   help="environment variable holding the API token, if the server requires one")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trust-monitor", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the monitor service")
    p.add_argument("--config", required=True, help="YAML config file")

    p = sub.add_parser("config", help="configuration tools")
    csub = p.add_subparsers(dest="config_command", required=True)
    c = csub.add_parser("check", help="validate a config file: prints 'ok' or every error (exit 2)")
    c.add_argument("file")

    p = sub.add_parser("probes", help="the probe catalogue")
    psub = p.add_subparsers(dest="probes_command", required=True)
    c = psub.add_parser("list", help="list the tasks")
    c.add_argument("--json", action="store_true")
    c.add_argument("--official", metavar="DIR", help="list the tasks found in official MultiTrust data (data/ folder)")

    p = sub.add_parser("run", help="start a run on a running monitor")
    p.add_argument("endpoint")
    p.add_argument("--tasks", help="comma-separated task ids, e.g. T.1,S.4 (default: the endpoint's tasks)")
    p.add_argument("--wait", action="store_true", help="follow progress and print the scores at the end")
    p.add_argument("--json", action="store_true")
    _add_client_args(p)

    p = sub.add_parser("runs", help="stored runs")
    rsub = p.add_subparsers(dest="runs_command", required=True)
    c = rsub.add_parser("list")
    c.add_argument("--endpoint", default="")
    c.add_argument("--limit", type=int, default=20)
    c.add_argument("--json", action="store_true")
    _add_client_args(c)
    c = rsub.add_parser("show")
    c.add_argument("run_id")
    c.add_argument("--json", action="store_true")
    _add_client_args(c)

    p = sub.add_parser("baseline", help="regression baselines")
    bsub = p.add_subparsers(dest="baseline_command", required=True)
    c = bsub.add_parser("set", help="make RUN_ID the baseline of ENDPOINT")
    c.add_argument("endpoint")
    c.add_argument("run_id")
    _add_client_args(c)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:
        for noisy in ("alembic", "apscheduler"):  # their INFO lines say nothing an operator acts on
            logging.getLogger(noisy).setLevel(logging.WARNING)
    handlers = {
        "serve": _serve,
        "config": _config_check,
        "probes": _probes_list,
        "run": _run,
        "runs": _runs,
        "baseline": _baseline,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130


# -- local commands -----------------------------------------------------------------------------------------
def _config_check(args: argparse.Namespace) -> int:
    from monitor.config import ConfigError, load_config

    try:
        load_config(args.file)
    except ConfigError as exc:
        for line in exc.lines:
            print(line)
        return EXIT_USAGE
    print("ok")
    return 0


def _probes_list(args: argparse.Namespace) -> int:
    from probes.catalogue import Task, all_tasks, suite_version

    tasks: dict[str, Task] = all_tasks()
    version = suite_version()
    skipped: dict[str, str] = {}
    if args.official:
        from probes.official import OfficialDataError, load_official

        try:
            official = load_official(args.official)
        except OfficialDataError as exc:
            print(f"trust-monitor: {exc}", file=sys.stderr)
            return 1
        tasks, skipped, version = dict(official.tasks), official.skipped, official.version()
    rows: list[dict[str, Any]] = [
        {"id": t.id, "name": t.name, "dimension": t.dimension.value, "subdimension": t.subdimension,
         "modality": t.modality.value, "variants": list(t.variants), "samples": len(t.samples),
         "scorer": t.scorer, "aggregator": t.aggregator,
         "profiles": ["multitrust"] if args.official else ["default", "multitrust"]}
        for t in tasks.values()
    ]
    if args.json:
        out: dict[str, Any] = {"suite_version": version, "tasks": rows}
        if args.official:
            out["skipped"] = [{"id": tid, "reason": why} for tid, why in skipped.items()]
        print(json.dumps(out, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"probe suite {version}")
    for col in ("id", "name", "dimension", "sub-dimension", "modality", "variants", "samples", "scorer"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["name"], r["dimension"], r["subdimension"], r["modality"],
                      str(len(r["variants"])), str(r["samples"]), r["scorer"])
    console = Console()
    console.print(table)
    for tid, why in skipped.items():
        console.print(f"skipped {tid}: {why}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from monitor.config import ConfigError, load_config
    from monitor.service import serve

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_USAGE

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop=stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        print(f"trust-monitor: {exc}", file=sys.stderr)
        return 1
    return 0


# -- client commands ----------------------------------------------------------------------------------------
class _Client:
    def __init__(self, args: argparse.Namespace) -> None:
        import grpc

        from monitor.api.stubs import load

        self.grpc = grpc
        self.pb2, pb2_grpc = load()
        self.channel = grpc.insecure_channel(args.server)
        self.stub = pb2_grpc.TrustMonitorStub(self.channel)
        token = os.environ.get(args.token_env, "")
        self.metadata = [("authorization", f"Bearer {token}")] if token else []
        self.server = args.server

    def call(self, method: str, request: Any, **kw: Any) -> Any:
        return getattr(self.stub, method)(request, metadata=self.metadata, **kw)


def _client_errors(fn: Any) -> Any:
    def wrapper(args: argparse.Namespace) -> int:
        import grpc

        try:
            return int(fn(args))
        except grpc.RpcError as exc:
            code = exc.code()
            detail = exc.details()
            if code == grpc.StatusCode.UNAVAILABLE:
                detail = f"no monitor answering at {args.server} ({detail})"
            print(f"trust-monitor: {code.name}: {detail}", file=sys.stderr)
            return 1

    return wrapper


def _status_name(pb2: Any, value: int) -> str:
    return str(pb2.RunStatus.Name(value)).removeprefix("RUN_STATUS_").lower()


def _run_dict(pb2: Any, run: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    d = MessageToDict(run, preserving_proto_field_name=True)
    d["status"] = _status_name(pb2, run.status)
    return d


@_client_errors
def _run(args: argparse.Namespace) -> int:
    client = _Client(args)
    pb2 = client.pb2
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else []
    run = client.call("StartRun", pb2.StartRunRequest(endpoint=args.endpoint, tasks=tasks))
    if not args.wait:
        print(json.dumps(_run_dict(pb2, run), indent=2) if args.json else f"started run {run.id} on {run.endpoint}")
        return 0
    final = _follow(client, run.id, quiet=args.json)
    if final.status != pb2.RUN_STATUS_SUCCEEDED:
        msg = f"run {run.id} {_status_name(pb2, final.status)}" + (f": {final.message}" if final.message else "")
        print(json.dumps(_run_dict(pb2, final), indent=2) if args.json else msg)
        return 1
    scores = client.call("GetScores", pb2.GetScoresRequest(run_id=run.id))
    if args.json:
        from google.protobuf.json_format import MessageToDict

        print(json.dumps({"run": _run_dict(pb2, final), "scores": MessageToDict(
            scores, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)}, indent=2))
    else:
        _print_scores(final, scores)
    return 0


def _follow(client: _Client, run_id: str, quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    pb2 = client.pb2
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[errors]} errors"), TimeElapsedColumn(),
                  disable=quiet, transient=False) as progress:
        bar = progress.add_task(f"run {run_id[:8]}", total=None, errors=0)
        for ev in client.call("WatchRun", pb2.WatchRunRequest(run_id=run_id)):
            if ev.total_items:
                progress.update(bar, total=ev.total_items, completed=ev.done_items, errors=ev.error_items)
    return client.call("GetRun", pb2.GetRunRequest(run_id=run_id))


def _fmt(score: float, low: float | None = None, high: float | None = None) -> str:
    text = f"{100 * score:5.1f}"
    if low is not None and high is not None:
        text += f"  [{100 * low:5.1f}, {100 * high:5.1f}]"
    return text


def _print_scores(run: Any, scores: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"run {run.id} on {run.endpoint} — scores 0–100, higher is more trustworthy (95% CI)")
    table.add_column("level")
    table.add_column("name")
    table.add_column("score", justify="right")
    table.add_column("scored / errors / unscorable", justify="right")
    for t in scores.tasks:
        value = _fmt(t.score, t.ci95.low, t.ci95.high) if t.has_score else "no score (too few scored)"
        table.add_row("task", f"{t.task} ({t.subdimension})", value, f"{t.scored} / {t.errors} / {t.unscorable}")
    for s in scores.subdimensions:
        table.add_row("sub-dimension", f"{s.name} ({s.dimension})", _fmt(s.score), "")
    for d in scores.dimensions:
        table.add_row("dimension", d.name, _fmt(d.score), "")
    table.add_row("overall", "", _fmt(scores.overall) if scores.has_overall else "no score", "")
    console.print(table)


@_client_errors
def _runs(args: argparse.Namespace) -> int:
    client = _Client(args)
    pb2 = client.pb2
    if args.runs_command == "list":
        resp = client.call("ListRuns", pb2.ListRunsRequest(endpoint=args.endpoint, limit=args.limit))
        if args.json:
            print(json.dumps([_run_dict(pb2, r) for r in resp.runs], indent=2))
            return 0
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for col in ("run", "endpoint", "trigger", "status", "created", "items", "errors", "model"):
            table.add_column(col)
        for r in resp.runs:
            table.add_row(r.id, r.endpoint, r.trigger, _status_name(pb2, r.status),
                          r.created_at.ToDatetime().strftime("%Y-%m-%d %H:%M:%S"),
                          f"{r.done_items}/{r.total_items}", str(r.error_items),
                          f"{r.model.model} {r.model.version}".strip())
        Console().print(table)
        return 0
    run = client.call("GetRun", pb2.GetRunRequest(run_id=args.run_id))
    scores = None
    if run.status == pb2.RUN_STATUS_SUCCEEDED:
        scores = client.call("GetScores", pb2.GetScoresRequest(run_id=run.id))
    if args.json:
        from google.protobuf.json_format import MessageToDict

        out: dict[str, Any] = {"run": _run_dict(pb2, run)}
        if scores is not None:
            out["scores"] = MessageToDict(scores, preserving_proto_field_name=True,
                                          always_print_fields_with_no_presence=True)
        print(json.dumps(out, indent=2))
        return 0
    print(f"run {run.id}: {_status_name(pb2, run.status)} on {run.endpoint} ({run.trigger}), "
          f"{run.done_items}/{run.total_items} items, {run.error_items} errors"
          + (f" — {run.message}" if run.message else ""))
    if scores is not None:
        _print_scores(run, scores)
    return 0


@_client_errors
def _baseline(args: argparse.Namespace) -> int:
    client = _Client(args)
    resp = client.call("SetBaseline", client.pb2.SetBaselineRequest(endpoint=args.endpoint, run_id=args.run_id))
    print(f"baseline of {resp.endpoint} is now run {resp.run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
