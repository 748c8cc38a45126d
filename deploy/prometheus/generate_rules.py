"""Generate Trust Monitor's Prometheus recording and alerting rules (deploy/prometheus/rules/trust-alerts.yml).

Mixin-style, after the kubernetes-mixin: one block of parameters (``RulesConfig``) becomes the rules, so a
deployment tunes severities, delays, thresholds and its label selector here instead of editing PromQL by hand.

    python deploy/prometheus/generate_rules.py                       # rewrite the committed file (defaults)
    python deploy/prometheus/generate_rules.py --check               # exit 1 if the committed file is out of date
    python deploy/prometheus/generate_rules.py --page-dimensions safety --selector 'job="trust-monitor"' \\
        --out /etc/prometheus/rules/trust-alerts.yml                 # a tuned copy for one deployment

Every alert and recorded series is per endpoint (and per dimension where there is one): the rules aggregate with
``max``/``min``/``sum by (endpoint, ...)``, so ``job``/``instance`` labels never reach an alert and two monitors
scraping the same endpoint name (an HA pair) do not make duplicate alerts. Keep endpoint names unique per
Prometheus, or narrow the rules with ``selector``.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "rules" / "trust-alerts.yml"
RUNBOOK = "https://github.com/trust-monitor/trust-monitor/blob/main/docs/runbook.md#%s"

RATE_WINDOW = "5m"  # dashboards: probe traffic and latency while a run is going
RUNS_WINDOW = "1h"  # dashboards: runs and run duration (4 runs at the usual 15-minute schedule)
QUANTILES = (0.5, 0.95, 0.99)
# Outcomes of trust_probe_requests_total that mean the endpoint answered; every other outcome is an error.
ANSWERED = ("ok", "platform_refusal")

_DURATION = re.compile(r"^([0-9]+(ms|[smhdwy]))+$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class RulesConfig:
    """The parameters of the rules; the defaults give the committed file."""

    # TrustRegression pages for these dimensions and files a ticket for the others.
    page_dimensions: tuple[str, ...] = ("safety", "privacy")
    # TrustBelowSLO waits this long: two runs' worth at a 15-minute schedule, so one noisy run stays quiet.
    slo_for: str = "30m"
    # TrustRunsStale: no successful run for stale_factor x the endpoint's schedule interval.
    stale_factor: float = 3
    # TrustRunsFailing: more than error_share of the probe requests in error_window failed, for error_for.
    error_share: float = 0.2
    error_window: str = "1h"
    error_for: str = "10m"
    # TrustEndpointDown: trust_endpoint_up has been 0 this long. Also what "down" means for the other alerts.
    endpoint_down_for: str = "5m"
    # Firing alerts that hold through a monitor restart (its scrape gap) instead of resolving and firing again.
    keep_firing_for: str = "15m"
    # TrustModelChanged fires this long after a model identity change.
    model_change_window: str = "1h"
    # %s = the alert name in lower case (the heading anchor in docs/runbook.md).
    runbook_url_pattern: str = RUNBOOK
    # Extra label matchers put in every metric selector, e.g. job="trust-monitor".
    selector: str = ""

    def __post_init__(self) -> None:
        for field in ("slo_for", "error_window", "error_for", "endpoint_down_for", "keep_firing_for",
                      "model_change_window"):
            if not _DURATION.match(getattr(self, field)):
                raise ValueError(f"{field}: not a Prometheus duration: {getattr(self, field)!r}")
        for dimension in self.page_dimensions:
            if not _NAME.match(dimension):
                raise ValueError(f"page_dimensions: not a dimension name: {dimension!r}")
        if not 0 < self.error_share < 1:
            raise ValueError(f"error_share: must be between 0 and 1, got {self.error_share}")
        if self.stale_factor <= 0:
            raise ValueError(f"stale_factor: must be positive, got {self.stale_factor}")
        if self.runbook_url_pattern.count("%s") != 1:
            raise ValueError("runbook_url_pattern: must hold exactly one %s (the lower-case alert name)")
        if any(c in self.selector for c in "{}`"):
            raise ValueError("selector: give the matchers without braces (or backquotes), e.g. job=\"trust-monitor\"")


# ---------------------------------------------------------------------------------------------- PromQL pieces


def _num(x: float) -> str:
    """A number as PromQL and people write it: 3, not 3.0."""
    return f"{x:g}"


def _sel(cfg: RulesConfig, metric: str, *matchers: str) -> str:
    """``metric{selector,matchers}`` (or the bare name when there is nothing to match)."""
    parts = [m for m in (cfg.selector.strip(), *matchers) if m]
    return f"{metric}{{{','.join(parts)}}}" if parts else metric


def _errors(cfg: RulesConfig) -> str:
    return _sel(cfg, "trust_probe_requests_total", f'outcome!~"{"|".join(ANSWERED)}"')


def _dimension_regex(cfg: RulesConfig) -> str:
    return "|".join(cfg.page_dimensions)


def _up_rule(cfg: RulesConfig) -> str:
    return f"endpoint:trust_endpoint_up:max_over_time{cfg.endpoint_down_for}"


def _down_now(cfg: RulesConfig) -> str:
    """The endpoint's last request failed (instantaneous)."""
    return f"max by (endpoint) ({_sel(cfg, 'trust_endpoint_up')}) == 0"


def _down(cfg: RulesConfig) -> str:
    """No request answered for endpoint_down_for: an outage, not one failed request of a flaky endpoint."""
    return f"{_up_rule(cfg)} == 0"


def _recent_outage(cfg: RulesConfig) -> str:
    """An outage (as in ``_down``) at any time in the error window: its failed requests are still counted."""
    return f"min_over_time({_up_rule(cfg)}[{cfg.error_window}]) == 0"


def _unless(expr: str, condition: str) -> str:
    return f"(\n  {expr}\n)\nunless on (endpoint)\n(\n  {condition}\n)\n"


# ------------------------------------------------------------------------------------ annotation templates


def _range(promql: str, body: str, *args: str) -> str:
    """A template that runs ``promql`` (a printf format over ``args``, %q for label values) and prints ``body``
    for each sample it returns: nothing when it returns nothing, so the text around it must read well either way.
    """
    fmt = promql.replace("%", "%%").replace("%%q", "%q")
    return f"{{{{ range printf `{fmt}` {' '.join(args)} | query }}}}{body}{{{{ end }}}}"


def _query(promql: str, fmt: str, *args: str) -> str:
    """``_range`` printing each value with the template function(s) ``fmt``."""
    return _range(promql, f"{{{{ .Value | {fmt} }}}}", *args)


def _ep_dim_matchers(cfg: RulesConfig, metric: str) -> str:
    return _sel(cfg, metric, "endpoint=%q", "dimension=%q")


E = "{{ $labels.endpoint }}"
D = "{{ $labels.dimension }}"
LOOK = f"Look closer: `trust-monitor runs list --endpoint {E}`, then `trust-monitor runs show RUN_ID --json`."


def _hint(cfg: RulesConfig, metric: str, *, dimension: bool = False) -> str:
    """A selector of the alert's own series, for people to paste into Prometheus."""
    matchers = [f'endpoint="{E}"'] + ([f'dimension="{D}"'] if dimension else [])
    return _sel(cfg, metric, *matchers)


def _regression_annotations(cfg: RulesConfig) -> dict[str, str]:
    # max by the series' own labels first: every API replica of mode: distributed publishes the same verdicts
    regressed = f"max by (endpoint, dimension, subdimension, task) ({_ep_dim_matchers(cfg, 'trust_regression')}) == 1"
    count = _range(f"count({regressed})", ' in {{ .Value | printf "%.0f" }} group(s)',
                   "$labels.endpoint", "$labels.dimension")
    evidence = _range(
        f"max({_ep_dim_matchers(cfg, 'trust_regression_evidence')} "
        f"and on (endpoint, dimension, subdimension, task) ({_sel(cfg, 'trust_regression')} == 1))",
        ', strongest evidence {{ .Value | printf "%.1f" }} (-log10 adjusted p)',
        "$labels.endpoint", "$labels.dimension")
    return {
        "summary": f"Trust regression in {D} on endpoint {E}",
        "description": (
            f"The regression detector judged endpoint {E} worse than its reference in dimension {D}: "
            f"the newest verdict on {D}, or on a sub-dimension or task in it, is `regressed`{count}{evidence}. "
            f"Which ones: {_hint(cfg, 'trust_regression', dimension=True)} == 1, "
            f"their drops in trust_task_score_delta. {LOOK}"),
    }


def _slo_annotations(cfg: RulesConfig) -> dict[str, str]:
    target = _query(f"max({_ep_dim_matchers(cfg, 'trust_slo_target')})", 'printf "%.3f"',
                    "$labels.endpoint", "$labels.dimension")
    return {
        "summary": f"{D} score of endpoint {E} is below its SLO",
        "description": (
            f'The {D} score of endpoint {E} is {{{{ $value | printf "%.3f" }}}}, below its SLO target {target}, '
            f"and has been below it for at least {cfg.slo_for}. "
            f"The sub-dimensions behind it: {_hint(cfg, 'trust_subdimension_score', dimension=True)}. {LOOK}"),
    }


def _failing_annotations(cfg: RulesConfig) -> dict[str, str]:
    return {
        "summary": f"Probe requests to endpoint {E} are failing",
        "description": (
            f"{{{{ $value | humanizePercentage }}}} of the probe requests to endpoint {E} in the last "
            f"{cfg.error_window} failed (threshold {_num(cfg.error_share * 100)}%), while the endpoint answers "
            f"otherwise. Runs with too many failed requests end `degraded` and what failed is neither scored nor "
            f"judged. By outcome: sum by (outcome) "
            f"(increase({_hint(cfg, 'trust_probe_requests_total')}[{cfg.error_window}])). {LOOK}"),
    }


def _stale_annotations(cfg: RulesConfig) -> dict[str, str]:
    interval = _query(f"max({_sel(cfg, 'trust_schedule_interval_seconds', 'endpoint=%q')})",
                      "humanizeDuration", "$labels.endpoint")
    return {
        "summary": f"No successful trust run on endpoint {E} for too long",
        "description": (
            f"The last successful run on endpoint {E} finished {{{{ $value | humanizeDuration }}}} ago, more than "
            f"{_num(cfg.stale_factor)} times its schedule interval ({interval}), while the endpoint answers: "
            f"scheduled runs fail, end degraded, are skipped or do not start, so its scores and verdicts are "
            f'getting old. Their status: endpoint_status:trust_runs:increase{RUNS_WINDOW}{{endpoint="{E}"}}. '
            f"{LOOK}"),
    }


def _down_annotations(cfg: RulesConfig) -> dict[str, str]:
    return {
        "summary": f"Endpoint {E} is down",
        "description": (
            f"Endpoint {E} has not answered the monitor (probe requests and model-identity checks failed with "
            f"timeouts, connection or server errors) for {cfg.endpoint_down_for}: it is down or unreachable. "
            f"This is an availability problem, not a trust regression; the trust alerts of {E} are held back "
            f"while it lasts. Check the serving endpoint itself: its process, the network, its health check "
            f"(Triton: /v2/health/ready)."),
    }


def _model_annotations(cfg: RulesConfig) -> dict[str, str]:
    info = _sel(cfg, "trust_model_info", "endpoint=%q")
    now = _range(info, "{{ .Labels.model }} version {{ .Labels.version }} (fingerprint {{ .Labels.fingerprint }})",
                 "$labels.endpoint")
    return {
        "summary": f"The model behind endpoint {E} changed",
        "description": (
            f"The monitor saw the model identity of endpoint {E} change {{{{ $value | printf \"%.0f\" }}}} "
            f"time(s) in the last {cfg.model_change_window}; now serving: {now}. The new model's first runs are "
            f"judged against the previous model's runs; a drop shows as TrustRegression. {LOOK}"),
    }


# ----------------------------------------------------------------------------------------------- the rules


def recording_rules(cfg: RulesConfig) -> list[dict[str, str]]:
    """Series for dashboards and for the alerts, named level:metric:operation."""
    requests = _sel(cfg, "trust_probe_requests_total")
    latency = _sel(cfg, "trust_probe_latency_seconds_bucket")
    runs = _sel(cfg, "trust_runs_total")
    w, rw = cfg.error_window, RUNS_WINDOW
    rules = [
        ("endpoint_outcome:trust_probe_requests:rate5m",
         f"sum by (endpoint, outcome) (rate({requests}[{RATE_WINDOW}]))"),
        ("endpoint:trust_probe_requests:rate5m", f"sum by (endpoint) (rate({requests}[{RATE_WINDOW}]))"),
        # error series only exist once an error happened: "or ... * 0" gives 0 instead of nothing
        ("endpoint:trust_probe_errors:rate5m",
         f"sum by (endpoint) (rate({_errors(cfg)}[{RATE_WINDOW}]))\nor\n"
         "endpoint:trust_probe_requests:rate5m * 0"),
        ("endpoint:trust_probe_error_share:ratio_rate5m",
         "endpoint:trust_probe_errors:rate5m\n/\n(endpoint:trust_probe_requests:rate5m > 0)"),
        (f"endpoint:trust_probe_requests:increase{w}", f"sum by (endpoint) (increase({requests}[{w}]))"),
        (f"endpoint:trust_probe_errors:increase{w}",
         f"sum by (endpoint) (increase({_errors(cfg)}[{w}]))\nor\n"
         f"endpoint:trust_probe_requests:increase{w} * 0"),
        # absent, not NaN, when there were no requests in the window
        (f"endpoint:trust_probe_error_share:ratio_increase{w}",
         f"endpoint:trust_probe_errors:increase{w}\n/\n(endpoint:trust_probe_requests:increase{w} > 0)"),
    ]
    for q in QUANTILES:
        rules.append((f"endpoint:trust_probe_latency_seconds:p{_num(q * 100)}_rate{RATE_WINDOW}",
                      f"histogram_quantile({_num(q)}, sum by (endpoint, le) (rate({latency}[{RATE_WINDOW}])))"))
    rules += [
        (f"endpoint:trust_runs:increase{rw}", f"sum by (endpoint) (increase({runs}[{rw}]))"),
        (f"endpoint_status:trust_runs:increase{rw}", f"sum by (endpoint, status) (increase({runs}[{rw}]))"),
        (f"endpoint:trust_run_duration_seconds:mean{rw}",
         f"sum by (endpoint) (increase({_sel(cfg, 'trust_run_duration_seconds_sum')}[{rw}]))\n/\n"
         f"(sum by (endpoint) (increase({_sel(cfg, 'trust_run_duration_seconds_count')}[{rw}])) > 0)"),
        ("endpoint:trust_last_run_age_seconds:time",
         f"time() - max by (endpoint) ({_sel(cfg, 'trust_last_run_timestamp_seconds')})"),
        (_up_rule(cfg),
         f"max by (endpoint) (max_over_time({_sel(cfg, 'trust_endpoint_up')}[{cfg.endpoint_down_for}]))"),
        ("endpoint_dimension:trust_slo_margin:diff",
         f"min by (endpoint, dimension) ({_sel(cfg, 'trust_dimension_score')})\n- on (endpoint, dimension)\n"
         f"max by (endpoint, dimension) ({_sel(cfg, 'trust_slo_target')})"),
        ("endpoint_dimension:trust_regressed_groups:count",
         f"count by (endpoint, dimension) (max by (endpoint, dimension, subdimension, task) "
         f"({_sel(cfg, 'trust_regression')}) == 1)"),
        (f"endpoint:trust_model_changes:increase{cfg.model_change_window}",
         f"sum by (endpoint) (increase({_sel(cfg, 'trust_model_changes_total')}[{cfg.model_change_window}]))"),
        (f"endpoint:trust_cost_usd:increase{rw}",
         f"sum by (endpoint) (increase({_sel(cfg, 'trust_cost_usd_total')}[{rw}]))"),
        (f"endpoint_kind:trust_tokens:increase{rw}",
         f"sum by (endpoint, kind) (increase({_sel(cfg, 'trust_tokens_total')}[{rw}]))"),
    ]
    return [{"record": name, "expr": _block(expr)} for name, expr in rules]


def _block(expr: str) -> str:
    """Multi-line expressions end with a newline (a YAML literal block), one-liners stay plain."""
    expr = expr.strip()
    return expr + "\n" if "\n" in expr else expr


def _alert(cfg: RulesConfig, name: str, expr: str, severity: str, annotations: dict[str, str], *,
           for_: str = "", keep_firing_for: str = "") -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": _block(expr)}
    if for_:
        rule["for"] = for_
    if keep_firing_for:
        rule["keep_firing_for"] = keep_firing_for
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {**annotations, "runbook_url": cfg.runbook_url_pattern % name.lower()}
    return rule


def _regression_alerts(cfg: RulesConfig) -> list[dict[str, Any]]:
    """TrustRegression: one rule per severity, split on the dimension so that each (endpoint, dimension) has one."""
    split: list[tuple[str, str]] = []
    if cfg.page_dimensions:
        split.append(("page", f'dimension=~"{_dimension_regex(cfg)}"'))
        split.append(("ticket", f'dimension!~"{_dimension_regex(cfg)}"'))
    else:
        split.append(("ticket", ""))
    rules = []
    for severity, matcher in split:
        paged = f"max by (endpoint, dimension) ({_sel(cfg, 'trust_dimension_regression', matcher)}) == 1"
        rules.append(_alert(cfg, "TrustRegression", _unless(paged, _down_now(cfg)), severity,
                            _regression_annotations(cfg), keep_firing_for=cfg.keep_firing_for))
    return rules


def alerting_rules(cfg: RulesConfig) -> list[dict[str, Any]]:
    """The alerts; docs/runbook.md has a section for each."""
    below = (f"min by (endpoint, dimension) ({_sel(cfg, 'trust_dimension_score')})\n"
             f"  < on (endpoint, dimension)\n"
             f"  max by (endpoint, dimension) ({_sel(cfg, 'trust_slo_target')})")
    failing = f"endpoint:trust_probe_error_share:ratio_increase{cfg.error_window} > {_num(cfg.error_share)}"
    stale = (f"endpoint:trust_last_run_age_seconds:time\n"
             f"  > on (endpoint)\n"
             f"  {_num(cfg.stale_factor)} * max by (endpoint) ({_sel(cfg, 'trust_schedule_interval_seconds')})")
    return [
        *_regression_alerts(cfg),
        _alert(cfg, "TrustBelowSLO", _unless(below, _down(cfg)), "ticket", _slo_annotations(cfg),
               for_=cfg.slo_for, keep_firing_for=cfg.keep_firing_for),
        _alert(cfg, "TrustRunsFailing", _unless(failing, _recent_outage(cfg)), "ticket", _failing_annotations(cfg),
               for_=cfg.error_for),
        _alert(cfg, "TrustRunsStale", _unless(stale, _recent_outage(cfg)), "ticket", _stale_annotations(cfg),
               keep_firing_for=cfg.keep_firing_for),
        _alert(cfg, "TrustEndpointDown", f"max by (endpoint) ({_sel(cfg, 'trust_endpoint_up')}) == 0", "page",
               _down_annotations(cfg), for_=cfg.endpoint_down_for),
        _alert(cfg, "TrustModelChanged", f"endpoint:trust_model_changes:increase{cfg.model_change_window} > 0",
               "info", _model_annotations(cfg)),
    ]


def rule_file(cfg: RulesConfig) -> dict[str, Any]:
    return {"groups": [
        {"name": "trust-monitor.records", "rules": recording_rules(cfg)},
        {"name": "trust-monitor.alerts", "rules": alerting_rules(cfg)},
    ]}


# ------------------------------------------------------------------------------------------------- output


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key; multi-line strings (expressions) as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def _header(cfg: RulesConfig) -> str:
    params = " ".join(f"{f.name}={_param(getattr(cfg, f.name))}" for f in dataclasses.fields(cfg))
    return (
        "# Prometheus recording and alerting rules for Trust Monitor; docs/runbook.md has a section per alert.\n"
        "# GENERATED by deploy/prometheus/generate_rules.py: do not edit by hand. Regenerate with\n"
        "#   .venv/bin/python deploy/prometheus/generate_rules.py [--page-dimensions ...] [--out FILE]\n"
        "# and check the committed file is current with --check.\n"
        f"# Parameters: {params}\n")


def _param(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(value) or '""'
    if isinstance(value, float):
        return _num(value)
    return str(value) if value != "" else '""'


def render(cfg: RulesConfig) -> str:
    """The rule file for ``cfg`` as YAML text (deterministic)."""
    body = yaml.dump(rule_file(cfg), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000,
                     default_flow_style=False)
    return _header(cfg) + body


# ---------------------------------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    d = RulesConfig()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--page-dimensions", default=",".join(d.page_dimensions),
                   help="comma-separated dimensions whose TrustRegression pages ('' = none; default %(default)s)")
    p.add_argument("--slo-for", default=d.slo_for, help="TrustBelowSLO delay (default %(default)s)")
    p.add_argument("--stale-factor", type=float, default=d.stale_factor,
                   help="TrustRunsStale after this many schedule intervals (default %(default)s)")
    p.add_argument("--error-share", type=float, default=d.error_share,
                   help="TrustRunsFailing above this share of failed requests (default %(default)s)")
    p.add_argument("--error-window", default=d.error_window, help="... over this window (default %(default)s)")
    p.add_argument("--error-for", default=d.error_for, help="... for this long (default %(default)s)")
    p.add_argument("--endpoint-down-for", default=d.endpoint_down_for,
                   help="TrustEndpointDown delay (default %(default)s)")
    p.add_argument("--keep-firing-for", default=d.keep_firing_for,
                   help="how long TrustRegression, TrustBelowSLO and TrustRunsStale outlast their condition "
                   "(a monitor restart; default %(default)s)")
    p.add_argument("--model-change-window", default=d.model_change_window,
                   help="TrustModelChanged fires this long after a change (default %(default)s)")
    p.add_argument("--runbook-url-pattern", default=d.runbook_url_pattern,
                   help="runbook URL, %%s = lower-case alert name (default %(default)s)")
    p.add_argument("--selector", default=d.selector,
                   help="label matchers added to every metric selector, e.g. 'job=\"trust-monitor\"'")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write (default: the committed one)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out differs from the output")
    return p


def config_from_args(args: argparse.Namespace) -> RulesConfig:
    return RulesConfig(
        page_dimensions=tuple(d.strip() for d in args.page_dimensions.split(",") if d.strip()),
        slo_for=args.slo_for, stale_factor=args.stale_factor, error_share=args.error_share,
        error_window=args.error_window, error_for=args.error_for, endpoint_down_for=args.endpoint_down_for,
        keep_firing_for=args.keep_firing_for, model_change_window=args.model_change_window,
        runbook_url_pattern=args.runbook_url_pattern, selector=args.selector,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ValueError as e:
        print(f"generate_rules: {e}", file=sys.stderr)
        return 2
    text = render(cfg)
    out: Path = args.out
    if args.check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            print(f"{out} is out of date: run python deploy/prometheus/generate_rules.py", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
