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
    env = os.environ.get
    p.add_argument("--tls", action="store_true", default=env("TRUST_MONITOR_TLS", "") not in ("", "0"),
                   help="connect with TLS, trusting the system CAs (env TRUST_MONITOR_TLS=1); implied by --tls-ca")
    p.add_argument("--tls-ca", metavar="FILE", default=env("TRUST_MONITOR_TLS_CA"),
                   help="PEM CA certificate(s) that sign the server's certificate (env TRUST_MONITOR_TLS_CA)")
    p.add_argument("--tls-cert", metavar="FILE", default=env("TRUST_MONITOR_TLS_CERT"),
                   help="PEM client certificate, for a server that requires one (mutual TLS; env "
                   "TRUST_MONITOR_TLS_CERT), with --tls-key")
    p.add_argument("--tls-key", metavar="FILE", default=env("TRUST_MONITOR_TLS_KEY"),
                   help="PEM private key of --tls-cert (env TRUST_MONITOR_TLS_KEY)")
    p.add_argument("--tls-server-name", metavar="NAME", default=env("TRUST_MONITOR_TLS_SERVER_NAME"),
                   help="the name the server's certificate must carry, when it differs from the --server host")


def _add_config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=os.environ.get("TRUST_MONITOR_CONFIG"),
                   help="the monitor's YAML config file, for its store and suite (env TRUST_MONITOR_CONFIG)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trust-monitor", description=__doc__)
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="-v: debug logging of the monitor's own modules (monitor.*, probes.*); other "
                        "libraries stay at INFO. -vv: debug logging of everything, third-party libraries included "
                        "(grpc, sqlalchemy, PIL, ...: very verbose)")
    parser.add_argument("--debug-all", action="store_true", help="the same as -vv")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the monitor service")
    p.add_argument("--config", required=True, help="YAML config file")
    p.add_argument("--role", choices=["api", "worker", "all"], default="all",
                   help="mode: distributed only: 'api' serves gRPC/HTTP and defers the schedule, 'worker' executes "
                   "run shards, 'all' both (default; the only role of mode: single)")

    p = sub.add_parser("config", help="configuration tools")
    csub = p.add_subparsers(dest="config_command", required=True)
    c = csub.add_parser("check", help="validate a config file: prints 'ok' (exit 0; a warning on stderr if it "
                        "configures no endpoint) or every error, one 'FILE: field: message' line each (exit 2)")
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
    p.add_argument("--gate", action="store_true",
                   help="with --wait: compare the run with the endpoint's reference, exit 0 pass, 1 regression, "
                   "2 inconclusive")
    p.add_argument("--json", action="store_true")
    _add_client_args(p)

    p = sub.add_parser("compare", help="the release gate: did CANDIDATE_RUN get worse than BASELINE_RUN? "
                       "(exit 0 pass, 1 regression, 2 inconclusive)")
    p.add_argument("baseline_run", help="the baseline run id ('-' = the candidate endpoint's reference)")
    p.add_argument("candidate_run")
    p.add_argument("--alpha", type=float, default=0.0, help="family-wise false-alarm level (default: the "
                   "server's regression.gate_alpha)")
    p.add_argument("--min-effect", type=float, default=0.0, help="smallest drop that counts, as a ratio "
                   "(default: the server's regression.min_effect)")
    p.add_argument("--json", action="store_true")
    _add_client_args(p)

    p = sub.add_parser("power", help="how many runs and samples it takes to detect a drop in a task")
    p.add_argument("--task", required=True, help="task id, e.g. S.4")
    p.add_argument("--drop", type=float, required=True, help="the drop to detect, as a ratio (0.10 = 10 points)")
    p.add_argument("--base", type=float, default=0.8, help="the task's pass rate before the drop (default 0.8)")
    p.add_argument("--flip", type=float, default=0.03,
                   help="share of answers that change between runs of an unchanged model (default 0.03)")
    p.add_argument("--per-task", type=int, help="rotating sampling.per_task to evaluate as well")
    p.add_argument("--config", help="take regression settings (and sampling.per_task) from this config file")
    p.add_argument("--endpoint", help="with --config: the endpoint whose sampling.per_task to use")
    p.add_argument("--trials", type=int, default=200, help="simulated changes (default 200)")
    p.add_argument("--json", action="store_true")

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
    c = rsub.add_parser("report", help="write a run's report page as one self-contained HTML file (images inlined), "
                        "read from the store of the config")
    c.add_argument("run_id")
    c.add_argument("--html", required=True, metavar="FILE", help="the file to write")
    _add_config_arg(c)

    p = sub.add_parser("labels", help="reviewer verdicts as labelled answers")
    lsub = p.add_subparsers(dest="labels_command", required=True)
    c = lsub.add_parser("export", help="reviewer verdicts that say what an answer is, as rows of the refusal / "
                        "yes-no corpus (probes/eval/corpus), JSON lines")
    c.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    c.add_argument("--pass", dest="pass_name", default="review",
                   help="the corpus pass the rows belong to (their ids start with it; default %(default)s)")
    _add_config_arg(c)

    p = sub.add_parser("judge", help="judge endpoints")
    jsub = p.add_subparsers(dest="judge_command", required=True)
    c = jsub.add_parser("calibrate", help="measure a judge endpoint on the labelled answer corpus: precision and "
                        "recall of its safe/unsafe verdicts, per category and language")
    c.add_argument("--endpoint", required=True, help="the configured endpoint to use as the judge")
    c.add_argument("--config", default=os.environ.get("TRUST_MONITOR_CONFIG"),
                   help="YAML config file (env TRUST_MONITOR_CONFIG)")
    c.add_argument("--split", default="all", help="corpus rows to grade: tune, test, fresh or all (default all)")
    c.add_argument("--concurrency", type=int, default=4, help="judge requests in flight at once (default 4)")
    c.add_argument("--limit", type=int, help="grade only the first N selected rows")
    c.add_argument("--json", action="store_true")

    p = sub.add_parser("store", help="the run store")
    ssub = p.add_subparsers(dest="store_command", required=True)
    c = ssub.add_parser("prune", help="remove the per-sample rows and events of runs older than store.retention "
                        "(runs, scores, verdicts, baselines and reviewed samples stay; docs/store.md)")
    c.add_argument("--older-than", metavar="DURATION", help="instead of the config's store.retention, e.g. 30d")
    c.add_argument("--dry-run", action="store_true", help="count what would go; remove nothing")
    _add_config_arg(c)

    p = sub.add_parser("baseline", help="regression baselines")
    bsub = p.add_subparsers(dest="baseline_command", required=True)
    c = bsub.add_parser("set", help="make RUN_ID the baseline of ENDPOINT")
    c.add_argument("endpoint")
    c.add_argument("run_id")
    _add_client_args(c)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(2 if args.debug_all else args.verbose)
    handlers = {
        "serve": _serve,
        "config": _config_check,
        "probes": _probes_list,
        "run": _run,
        "runs": _runs,
        "baseline": _baseline,
        "compare": _compare,
        "power": _power,
        "judge": _judge_calibrate,
        "labels": _labels_export,
        "store": _store_prune,
    }
    try:
        rc = handlers[args.command](args)
        sys.stdout.flush()  # here, not at exit: a reader that went away is handled below
        return rc
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _stdout_closed()


OWN_LOGGERS = ("monitor", "probes", "__main__")
EXIT_PIPE_CLOSED = 128 + signal.SIGPIPE  # what a shell reports for a command ended by SIGPIPE (`cmd | head`)


def setup_logging(verbosity: int) -> None:
    """INFO logging to stderr; verbosity 1: DEBUG for the monitor's own loggers only; 2 or more: DEBUG for all.

    Third-party libraries stay at INFO with -v (PIL alone logs tens of thousands of DEBUG lines per run).
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 1 else logging.NOTSET)
    # their INFO lines say nothing an operator acts on (procrastinate: two lines a job; ours say what happened)
    for noisy in ("alembic", "apscheduler", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.NOTSET if verbosity >= 2 else logging.WARNING)


def _stdout_closed() -> int:
    """The reader of stdout went away (``trust-monitor runs show --json | head``): stop quietly, as a pipe
    filter does. Later writes (the interpreter's own flush at exit included) go to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_PIPE_CLOSED


# -- local commands -----------------------------------------------------------------------------------------
def _config_check(args: argparse.Namespace) -> int:
    from monitor.config import ConfigError, load_config

    try:
        config = load_config(args.file)
    except ConfigError as exc:
        for line in exc.lines:
            print(line)
        return EXIT_USAGE
    print("ok")
    if not config.endpoints:
        print(f"{args.file}: warning: no endpoints configured: the monitor would serve its API and pages but "
              "probe nothing", file=sys.stderr)
    if config.suite.official_data is not None:  # a partial download is legitimate: warnings, not errors
        from probes.official import load_official

        official = load_official(config.suite.official_data)
        for tid, why in official.skipped.items():
            print(f"{args.file}: warning: official data: {tid} skipped: {why}", file=sys.stderr)
    return 0


def _probes_list(args: argparse.Namespace) -> int:
    from probes.catalogue import Task, all_tasks, suite_version

    tasks: dict[str, Task] = all_tasks()
    version = suite_version()
    skipped: dict[str, str] = {}
    if args.official:
        from probes.official import load_official

        official = load_official(args.official)  # never raises: a task that cannot be loaded is skipped
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
    if args.official:  # one line per task: loaded, or skipped with the file and what is wrong
        for tid in [t for t in all_tasks() if t in tasks or t in skipped]:
            line = f"{tid}: loaded, {len(tasks[tid].samples)} samples" if tid in tasks else \
                f"{tid}: skipped: {skipped[tid]}"
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    return 0


def _load_config(path: str) -> Any:
    """The config at ``path``, or None after printing every problem with it (stderr)."""
    from monitor.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return None


def _serve(args: argparse.Namespace) -> int:
    from monitor.service import serve

    config = _load_config(args.config)
    if config is None:
        return EXIT_USAGE
    if args.role != "all" and config.mode != "distributed":
        print(f"trust-monitor: --role {args.role} needs 'mode: distributed' in {args.config} (a single-mode monitor "
              "is one process with every role)", file=sys.stderr)
        return EXIT_USAGE

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop=stop, role=args.role)

    from monitor.store import StoreError

    try:
        asyncio.run(main())
    except (OSError, StoreError) as exc:
        print(f"trust-monitor: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):  # the task engine's database connection (mode: distributed)
            print(f"trust-monitor: the task engine's database: {exc}", file=sys.stderr)
            return 1
        raise
    return 0


# -- client commands ----------------------------------------------------------------------------------------
def _read_client_file(path: str, flag: str) -> bytes:
    try:
        from pathlib import Path

        return Path(path).read_bytes()
    except OSError as exc:
        print(f"trust-monitor: {flag} {path}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _channel(grpc: Any, args: argparse.Namespace) -> Any:
    """A plaintext channel, or with --tls / --tls-ca / --tls-cert a TLS one (mutual TLS with a certificate)."""
    if bool(args.tls_cert) != bool(args.tls_key):
        print("trust-monitor: --tls-cert and --tls-key go together", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    if not (args.tls or args.tls_ca or args.tls_cert):
        return grpc.insecure_channel(args.server)
    ca = _read_client_file(args.tls_ca, "--tls-ca") if args.tls_ca else None
    cert = _read_client_file(args.tls_cert, "--tls-cert") if args.tls_cert else None
    key = _read_client_file(args.tls_key, "--tls-key") if args.tls_key else None
    credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    options = [("grpc.ssl_target_name_override", args.tls_server_name)] if args.tls_server_name else []
    return grpc.secure_channel(args.server, credentials, options=options)


class _Client:
    def __init__(self, args: argparse.Namespace) -> None:
        import grpc

        from monitor.api.stubs import load

        self.grpc = grpc
        self.pb2, pb2_grpc = load()
        self.channel = _channel(grpc, args)
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
    if args.gate and not args.wait:
        print("trust-monitor: --gate needs --wait", file=sys.stderr)
        return EXIT_USAGE
    run = client.call("StartRun", pb2.StartRunRequest(endpoint=args.endpoint, tasks=tasks))
    if not args.wait:
        print(json.dumps(_run_dict(pb2, run), indent=2) if args.json else f"started run {run.id} on {run.endpoint}")
        return 0
    final = _follow(client, run.id, quiet=args.json)
    scored = (pb2.RUN_STATUS_SUCCEEDED, pb2.RUN_STATUS_DEGRADED, pb2.RUN_STATUS_STOPPED)
    if final.status not in scored:
        msg = f"run {run.id} {_status_name(pb2, final.status)}" + (f": {final.message}" if final.message else "")
        print(json.dumps(_run_dict(pb2, final), indent=2) if args.json else msg)
        return 1
    scores = client.call("GetScores", pb2.GetScoresRequest(run_id=run.id))
    comparison = None
    if args.gate:
        comparison = client.call("CompareRuns", pb2.CompareRunsRequest(candidate_run_id=run.id))
    if args.json:
        out: dict[str, Any] = {"run": _run_dict(pb2, final), "scores": _message_dict(scores)}
        if comparison is not None:
            out["gate"] = _message_dict(comparison)
        print(json.dumps(out, indent=2))
    else:
        if final.message:
            print(f"run {run.id} {_status_name(pb2, final.status)}: {final.message}")
        _print_scores(final, scores)
        if comparison is not None:
            _print_comparison(comparison)
    if comparison is not None:
        from monitor.regression.compare import EXIT_CODES

        return EXIT_CODES[comparison.result]
    return 0 if final.status == pb2.RUN_STATUS_SUCCEEDED else 1


def _follow(client: _Client, run_id: str, quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    pb2 = client.pb2
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[errors]} errors"), TimeElapsedColumn(),
                  disable=quiet, transient=False) as progress:
        bar = progress.add_task(f"run {run_id[:8]}", total=None, errors=0)
        for ev in client.call("WatchRun", pb2.WatchRunRequest(run_id=run_id)):
            if ev.kind == "state" and ev.status == pb2.RUN_STATUS_QUEUED and ev.message:
                progress.update(bar, description=f"run {run_id[:8]} {ev.message}")
            elif ev.kind == "started":
                progress.update(bar, description=f"run {run_id[:8]}")
            elif ev.kind == "regression" and not quiet:
                progress.console.print(f"regression check: {ev.message}")
            if ev.total_items:
                progress.update(bar, total=ev.total_items, completed=ev.done_items, errors=ev.error_items)
    return client.call("GetRun", pb2.GetRunRequest(run_id=run_id))


def _fmt(score: float, low: float | None = None, high: float | None = None) -> str:
    text = f"{100 * score:5.1f}"
    if low is not None and high is not None:
        text += f"  [{100 * low:5.1f}, {100 * high:5.1f}]"
    return text


def _message_dict(message: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    out: dict[str, Any] = MessageToDict(message, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=True)
    return out


def _verdict_text(v: Any) -> str:
    if v.verdict == "inconclusive":
        return f"inconclusive: {v.reason}" if v.reason else "inconclusive"
    delta = f" {100 * v.delta:+.1f} [{100 * v.ci95.low:+.1f}, {100 * v.ci95.high:+.1f}]" if v.has_delta else ""
    return f"{v.verdict}{delta}, evidence {v.evidence:.1f}, {v.paired} paired, window {v.window}"


def _print_scores(run: Any, scores: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    verdicts = {(v.level, v.name): v for v in scores.verdicts}
    table = Table(title=f"run {run.id} on {run.endpoint} — scores 0–100, higher is more trustworthy (95% CI); "
                  "verdict: change in points vs the reference [95% CI]")
    table.add_column("level")
    table.add_column("name")
    table.add_column("score", justify="right")
    table.add_column("scored / errors / unscorable", justify="right")
    table.add_column("verdict")

    def verdict(level: str, name: str) -> str:
        v = verdicts.get((level, name))
        return "" if v is None else _verdict_text(v)

    for t in scores.tasks:
        value = _fmt(t.score, t.ci95.low, t.ci95.high) if t.has_score else "no score (too few scored)"
        table.add_row("task", f"{t.task} ({t.subdimension})", value, f"{t.scored} / {t.errors} / {t.unscorable}",
                      verdict("task", t.task))
    for s in scores.subdimensions:
        table.add_row("sub-dimension", f"{s.name} ({s.dimension})",
                      _fmt(s.score) if s.has_score else f"no score: {s.reason}", "", verdict("subdimension", s.name))
    for d in scores.dimensions:
        table.add_row("dimension", d.name, _fmt(d.score) if d.has_score else f"no score: {d.reason}", "",
                      verdict("dimension", d.name))
    overall = _fmt(scores.overall) if scores.has_overall else f"no score: {scores.overall_reason or 'nothing scored'}"
    table.add_row("overall", "", overall, "", verdict("overall", "overall"))
    console.print(table)


def _print_comparison(c: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"release gate: run {c.candidate_run_id} vs {', '.join(c.reference_runs)} "
                  f"(family-wise alpha {c.alpha:g}, min effect {100 * c.min_effect:g} points)")
    for col in ("level", "name", "change (points) [95% CI]", "paired", "p (drop)", "verdict"):
        table.add_column(col)
    order = {"overall": 0, "dimension": 1, "subdimension": 2, "task": 3}
    for v in sorted(c.verdicts, key=lambda v: (order.get(v.level, 9), v.dimension, v.name)):
        change = (f"{100 * v.delta:+.1f} [{100 * v.ci95.low:+.1f}, {100 * v.ci95.high:+.1f}]"
                  if v.has_delta and v.verdict != "inconclusive" else "")
        table.add_row(v.level, v.name, change, str(v.paired), f"{v.p_value:.2g}" if change else "",
                      v.verdict if v.verdict != "inconclusive" else f"inconclusive ({v.reason})")
    console.print(table)
    console.print(f"[bold]{c.result.upper()}[/bold] — {c.message}")


@_client_errors
def _compare(args: argparse.Namespace) -> int:
    from monitor.regression.compare import EXIT_CODES

    client = _Client(args)
    baseline = "" if args.baseline_run == "-" else args.baseline_run
    result = client.call("CompareRuns", client.pb2.CompareRunsRequest(
        baseline_run_id=baseline, candidate_run_id=args.candidate_run, alpha=args.alpha, min_effect=args.min_effect))
    if args.json:
        print(json.dumps(_message_dict(result), indent=2))
    else:
        _print_comparison(result)
    return EXIT_CODES[result.result]


def _power(args: argparse.Namespace) -> int:
    from monitor.regression.power import power
    from monitor.regression.simulate import Params
    from probes.catalogue import all_tasks

    if args.task not in all_tasks():
        print(f"trust-monitor: unknown task {args.task!r} (see 'trust-monitor probes list')", file=sys.stderr)
        return EXIT_USAGE
    for name, value in (("--drop", args.drop), ("--base", args.base), ("--flip", args.flip)):
        if not 0 < value < 1:
            print(f"trust-monitor: {name} must be a ratio between 0 and 1 (0.10 = 10 points)", file=sys.stderr)
            return EXIT_USAGE
    if args.trials < 10:
        print("trust-monitor: --trials must be at least 10", file=sys.stderr)
        return EXIT_USAGE
    params = Params(flip=args.flip)
    per_task = args.per_task
    if args.config:
        from monitor.regression.monitor import settings_of

        config = _load_config(args.config)
        if config is None:
            return EXIT_USAGE
        reg = config.regression
        params = Params(settings=settings_of(config), windows=tuple(reg.windows), reference_runs=reg.reference_runs,
                        flip=args.flip)
        if per_task is None and args.endpoint:
            ep = config.endpoint(args.endpoint)
            if ep is None:
                print(f"trust-monitor: {args.config}: no endpoint {args.endpoint!r}", file=sys.stderr)
                return EXIT_USAGE
            per_task = ep.sampling.per_task if ep.sampling is not None else None
    try:
        report = power(args.task, args.drop, base=args.base, flip=args.flip, params=params, per_task=per_task,
                       trials=args.trials, workers=os.cpu_count() or 1,
                       progress=None if args.json else lambda line: print(line, file=sys.stderr))
    except ValueError as exc:
        print(f"trust-monitor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(report), indent=2))
        return 0
    r = report
    s = r.settings
    print(f"{r.task}: {r.samples} samples x {r.variants} variant(s) = {r.items_per_run} items per full run; "
          f"pass rate {r.base:g} before the drop, {r.flip:.0%} of answers change between runs.")
    print(f"False-alarm budget: one false page in {round(1 / s.alpha):,} runs of an unchanged endpoint (Holm over "
          f"{r.tests_per_run} tests per run); minimum effect {100 * s.min_effect:g} points.")
    print(f"A {100 * r.drop:g}-point drop ({round(r.drop * r.items_per_run)} items turn from pass to fail):")
    print(f"  full suite every run: paged in the first run after the change in {r.first_run:.0%} of {r.trials} "
          "trials. Later full runs ask the same samples again: no new evidence, only fresh noise.")
    if r.per_task is not None:
        if r.rotation_median is None:
            print(f"  sampling.per_task {r.per_task}: not detected within {r.rotation_runs} runs.")
        else:
            print(f"  sampling.per_task {r.per_task}: detected within {r.rotation_runs} runs in "
                  f"{r.rotation_detected:.0%}; median {r.rotation_median:g} runs, 90% by {r.rotation_p90:g}.")
    if r.items_needed is None:
        if r.drop < 2 * s.min_effect:
            print(f"  not even 20,000 items per run give 95%: the drop is too close to regression.min_effect "
                  f"({100 * s.min_effect:g} points), which the measured drop must also reach")
        else:
            print("  not even 20,000 items per run make this drop visible at this budget")
    else:
        per_variant = -(-r.items_needed // r.variants)
        print(f"  95% first-run detection needs about {r.items_needed} paired items per run "
              f"({per_variant} samples x {r.variants} variant(s)); the task ships {r.samples}.")
    return 0


def _judge_calibrate(args: argparse.Namespace) -> int:
    from monitor.config import ConfigError, load_config
    from monitor.judging import calibrate
    from probes.catalogue import all_tasks
    from probes.eval.corpus import CorpusError, load

    def usage(message: str) -> int:
        print(f"trust-monitor: {message}", file=sys.stderr)
        return EXIT_USAGE

    if not args.config:
        return usage("judge calibrate needs the config: --config PATH (or TRUST_MONITOR_CONFIG)")
    if args.split not in calibrate.SPLITS:
        return usage(f"--split {args.split!r}: use one of {', '.join(calibrate.SPLITS)}")
    if args.concurrency < 1:
        return usage("--concurrency must be at least 1")
    if args.limit is not None and args.limit < 1:
        return usage("--limit must be at least 1")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        more = len(exc.lines) - 1
        tail = f" (and {more} more; see 'trust-monitor config check {args.config}')" if more else ""
        return usage(f"{exc.lines[0]}{tail}")
    endpoint = config.endpoint(args.endpoint)
    if endpoint is None:
        known = ", ".join(e.name for e in config.endpoints) or "none"
        return usage(f"{args.config}: no endpoint {args.endpoint!r} (configured: {known})")
    try:
        corpus = load()
    except CorpusError as exc:
        return usage(f"the labelled corpus is invalid: {exc.lines[0]} ({len(exc.lines)} problem(s))")
    rows = calibrate.select(corpus, args.split, args.limit)
    if not rows:
        return usage(f"no refusal-labelled corpus rows in split {args.split!r}")

    def progress(done: int, total: int, seen: Any) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f"judge calibrate: {done}/{total} graded ({seen['unreadable']} unreadable, {seen['failed']} "
                  "failed)", file=sys.stderr)

    print(f"judge calibrate: {len(rows)} corpus answers to {endpoint.name}, {args.concurrency} at a time",
          file=sys.stderr)
    try:
        graded = asyncio.run(calibrate.run(endpoint, rows, all_tasks(), concurrency=args.concurrency,
                                           progress=progress))
    except calibrate.CalibrationError as exc:
        return usage(str(exc))
    report = calibrate.report(endpoint.name, args.split, graded)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for line in calibrate.format_report(report):
            print(line)
    if report.verdicts == 0:
        print(f"trust-monitor: {endpoint.name} gave no readable verdict on any of {report.sent} answers",
              file=sys.stderr)
        return 1
    return 0


def _open_store(args: argparse.Namespace, what: str) -> tuple[Any, Any] | None:
    """The config and its store for a command that reads the store itself; None after saying why not."""
    from sqlalchemy.exc import SQLAlchemyError

    from monitor.store import Store, StoreSchemaError

    if not args.config:
        print(f"trust-monitor: {what} reads the monitor's store: give --config PATH (or TRUST_MONITOR_CONFIG)",
              file=sys.stderr)
        return None
    config = _load_config(args.config)
    if config is None:
        return None
    password = config.store.password.reveal() if config.store.password else None
    try:
        store = Store(config.store.url, password=password)
    except (StoreSchemaError, SQLAlchemyError, OSError) as exc:
        print(f"trust-monitor: cannot open the store: {str(exc).splitlines()[0]}", file=sys.stderr)
        return None
    return config, store


def _write(path: str, text: str) -> str | None:
    """Write ``text`` to ``path`` whole (a temporary file renamed into place); the error in words, or None."""
    from pathlib import Path

    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return f"cannot write {path}: {exc.strerror}"
    return None


def _runs_report(args: argparse.Namespace) -> int:
    from monitor.web.render import Renderer
    from monitor.web.sources import local_sources
    from monitor.web.views import PageError, RunQuery, run_view

    opened = _open_store(args, "runs report")
    if opened is None:
        return EXIT_USAGE
    config, store = opened
    try:
        sources = local_sources(config, store)
        try:
            view = run_view(sources, args.run_id, RunQuery(), everything=True)
        except PageError as exc:
            print(f"trust-monitor: {exc.message}", file=sys.stderr)
            return 1
        html = Renderer().export(view)
    finally:
        store.close()
    problem = _write(args.html, html)
    if problem:
        print(f"trust-monitor: {problem}", file=sys.stderr)
        return 1
    samples = sum(len(s.samples) for s in view.samples)
    print(f"wrote {args.html}: run {view.run.id} on {view.run.endpoint}, {len(view.samples)} task(s), {samples} "
          f"samples, {len(html) / 1e6:.1f} MB", file=sys.stderr)
    return 0


def _store_prune(args: argparse.Namespace) -> int:
    from monitor.config import parse_duration
    from monitor.store import StoreError
    from monitor.store.retention import prune, summary

    older_than = None
    if args.older_than is not None:
        try:
            older_than = parse_duration(args.older_than)
        except ValueError as exc:
            print(f"trust-monitor: --older-than: {exc}", file=sys.stderr)
            return EXIT_USAGE
    opened = _open_store(args, "store prune")
    if opened is None:
        return EXIT_USAGE
    config, store = opened
    try:
        report = prune(store, config, older_than=older_than, dry_run=args.dry_run)
    except ValueError as exc:
        print(f"trust-monitor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"trust-monitor: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    limit = older_than if older_than is not None else config.store.retention
    print(summary(report, limit, dry_run=args.dry_run))
    return 0


def _labels_export(args: argparse.Namespace) -> int:
    from monitor.web.labels import export_rows, to_jsonl
    from monitor.web.sources import local_sources

    opened = _open_store(args, "labels export")
    if opened is None:
        return EXIT_USAGE
    config, store = opened
    try:
        catalogue = local_sources(config, store).catalogue
        try:
            exported = export_rows(store.reviewed_results(), catalogue, args.pass_name)
        except ValueError as exc:
            print(f"trust-monitor: --pass: {exc}", file=sys.stderr)
            return EXIT_USAGE
    finally:
        store.close()
    text = to_jsonl(exported.rows)
    if args.out:
        problem = _write(args.out, text)
        if problem:
            print(f"trust-monitor: {problem}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    left = "; ".join(f"{n} {why}" for why, n in sorted(exported.skipped.items()))
    print(f"labels export: {len(exported.rows)} row(s) of pass {args.pass_name!r}"
          + (f" to {args.out}" if args.out else "") + (f"; left out: {left}" if left else ""), file=sys.stderr)
    return 0


@_client_errors
def _runs(args: argparse.Namespace) -> int:
    if args.runs_command == "report":
        return _runs_report(args)
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
        for col in ("run", "endpoint", "trigger", "status", "created", "items", "errors", "model", "regression"):
            table.add_column(col)
        for r in resp.runs:
            table.add_row(r.id, r.endpoint, r.trigger, _status_name(pb2, r.status),
                          r.created_at.ToDatetime().strftime("%Y-%m-%d %H:%M:%S"),
                          f"{r.done_items}/{r.total_items}", str(r.error_items),
                          f"{r.model.model} {r.model.version}".strip(), r.regression)
        Console().print(table)
        return 0
    run = client.call("GetRun", pb2.GetRunRequest(run_id=args.run_id))
    scores = None
    if run.status in (pb2.RUN_STATUS_SUCCEEDED, pb2.RUN_STATUS_DEGRADED, pb2.RUN_STATUS_STOPPED):
        scores = client.call("GetScores", pb2.GetScoresRequest(run_id=run.id))
    if args.json:
        out: dict[str, Any] = {"run": _run_dict(pb2, run)}
        if scores is not None:
            out["scores"] = _message_dict(scores)
        print(json.dumps(out, indent=2))
        return 0
    print(f"run {run.id}: {_status_name(pb2, run.status)} on {run.endpoint} ({run.trigger}), "
          f"{run.done_items}/{run.total_items} items, {run.error_items} errors"
          + (f" — {run.message}" if run.message else ""))
    if run.regression:
        print(f"regression check: {run.regression}")
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
