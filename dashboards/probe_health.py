"""Probe health: is the monitor measuring properly — do its requests get answers, how fast, do runs finish, and what
do they cost?

Requests by outcome and the error share (what TrustRunsFailing watches), latency quantiles of answered requests,
requests in flight, whether the endpoint answers, run durations, runs by trigger and status, tokens and cost per
endpoint (tokens and cost only for endpoints that report token usage, e.g. vendor APIs; cost needs a pricing
table in the config).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, statetimeline, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig, ReduceDataOptions, StackingConfig
from grafana_foundation_sdk.models import common

from dashboards.common import (
    EP,
    HEALTH_UID,
    add_row,
    base,
    datasource_variable,
    endpoint_variable,
    field_run_links,
    monitor_url_variable,
    panel,
    query,
    runs_link,
    sel,
    thresholds,
    value_text,
)

# TrustRunsFailing's default threshold (RulesConfig.error_share in deploy/prometheus/generate_rules.py).
ERROR_SHARE = 0.2
QUANTILES = ("p50", "p95", "p99")  # recorded by the rules: endpoint:trust_probe_latency_seconds:<q>_rate5m


def _graph(p: timeseries.Panel) -> timeseries.Panel:
    return p.fill_opacity(10).span_nulls(False).data_links(field_run_links())


def _requests() -> list[timeseries.Panel | statetimeline.Panel]:
    outcomes = _graph(panel(
        timeseries.Panel(), "Probe requests by outcome",
        "Requests per second by final outcome (after retries): ok, platform_refusal (the platform's safety layer "
        "answered) and the errors (timeout, connection, server_error, rate_limited, malformed, ...). Errors are "
        "never scored.",
        [query(f"sum by (endpoint, outcome) (endpoint_outcome:trust_probe_requests:rate5m{{{EP}}})",
               "{{endpoint}} {{outcome}}")],
        w=12, h=8, links=[runs_link()],
    )).unit("reqps").stacking(StackingConfig().mode(common.StackingMode.NORMAL))
    errors = _graph(panel(
        timeseries.Panel(), "Error share",
        f"Share of probe requests that failed, over 5 minutes and over the last hour; TrustRunsFailing fires above "
        f"{ERROR_SHARE:.0%} over the hour. Runs with too many failed requests end degraded.",
        [query(f"endpoint:trust_probe_error_share:ratio_rate5m{{{EP}}}", "{{endpoint}} 5m"),
         query(f"endpoint:trust_probe_error_share:ratio_increase1h{{{EP}}}", "{{endpoint}} 1h", ref="B")],
        w=12, h=8,
    )).unit("percentunit").min(0).max(1) \
        .thresholds(thresholds((None, "green"), (ERROR_SHARE, "red"))) \
        .thresholds_style(GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
    latency = _graph(panel(
        timeseries.Panel(), "Probe latency quantiles",
        "Latency of answered probe requests (trust_probe_latency_seconds, over 5 minutes): p50, p95, p99.",
        [query(f"endpoint:trust_probe_latency_seconds:{q}_rate5m{{{EP}}}", f"{{{{endpoint}}}} {q}", ref=ref)
         for q, ref in zip(QUANTILES, "ABC", strict=True)],
        w=12, h=8,
    )).unit("s")
    in_flight = _graph(panel(
        timeseries.Panel(), "Requests in flight",
        "Concurrency in use: the mean number of answered probe requests in flight (request rate × mean latency, "
        "i.e. the rate of trust_probe_latency_seconds_sum), against the endpoint's configured 'concurrency'.",
        [query(f"sum by (endpoint) (rate({sel('trust_probe_latency_seconds_sum')}[$__rate_interval]))",
               "{{endpoint}}")],
        w=6, h=8,
    )).unit("short").min(0)
    up = panel(
        statetimeline.Panel(), "Endpoint answers",
        "Whether the endpoint answered its last probe request or model check (trust_endpoint_up); TrustEndpointDown "
        "fires after 5 minutes down.",
        [query(f"max by (endpoint) ({sel('trust_endpoint_up')})", "{{endpoint}}")],
        w=6, h=8,
    ).mappings(value_text({"1": ("up", "green"), "0": ("down", "red")})).merge_values(True) \
        .show_value(common.VisibilityMode.AUTO)
    return [outcomes, errors, latency, in_flight, up]


def _runs() -> list[timeseries.Panel | stat.Panel | bargauge.Panel]:
    duration = _graph(panel(
        timeseries.Panel(), "Run duration",
        "Mean wall time of the runs that finished in the last hour (trust_run_duration_seconds).",
        [query(f"endpoint:trust_run_duration_seconds:mean1h{{{EP}}}", "{{endpoint}} mean (1h)")],
        w=9, h=8, links=[runs_link()],
    )).unit("s").min(0)
    p95 = panel(
        stat.Panel(), "Run duration p95 (time range)",
        "95th percentile of run durations over the dashboard's time range, from the duration histogram.",
        [query("histogram_quantile(0.95, sum by (endpoint, le) "
               f"(increase({sel('trust_run_duration_seconds_bucket')}[$__range])))", "{{endpoint}}", instant=True)],
        w=5, h=8,
    ).unit("s").decimals(0).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    by_trigger = panel(
        bargauge.Panel(), "Runs by trigger and status (time range)",
        "Finished runs in the dashboard's time range by trigger (schedule, startup, model_change, api) and status "
        "(succeeded, degraded, failed, cancelled, ...).",
        [query("round(sum by (endpoint, trigger, status) "
               f"(increase({sel('trust_runs_total')}[$__range])))", "{{endpoint}} {{trigger}} {{status}}",
               instant=True)],
        w=10, h=8, links=[runs_link()],
    ).decimals(0).min(0).display_mode(common.BarGaugeDisplayMode.BASIC) \
        .orientation(common.VizOrientation.HORIZONTAL) \
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    by_status = _graph(panel(
        timeseries.Panel(), "Runs per hour by status",
        "Runs finished in the last hour, by status (endpoint_status:trust_runs:increase1h).",
        [query(f"endpoint_status:trust_runs:increase1h{{{EP}}}", "{{endpoint}} {{status}}")],
        w=24, h=7,
    )).unit("short").min(0)
    return [duration, p95, by_trigger, by_status]


def _cost() -> list[timeseries.Panel | stat.Panel]:
    tokens = _graph(panel(
        timeseries.Panel(), "Tokens per hour",
        "Tokens the endpoint reported in the last hour, input and output (trust_tokens_total). Endpoints that report "
        "no token usage (Triton's Python backend) have no series.",
        [query(f"endpoint_kind:trust_tokens:increase1h{{{EP}}}", "{{endpoint}} {{kind}}")],
        w=9, h=8,
    )).unit("short").min(0)
    cost = _graph(panel(
        timeseries.Panel(), "Cost per hour",
        "USD spent on probe requests in the last hour, from the endpoint's pricing table (config 'pricing').",
        [query(f"endpoint:trust_cost_usd:increase1h{{{EP}}}", "{{endpoint}}")],
        w=9, h=8,
    )).unit("currencyUSD").min(0)
    total = panel(
        stat.Panel(), "Cost (time range)",
        "USD spent on probe requests in the dashboard's time range, per endpoint.",
        [query(f"sum by (endpoint) (increase({sel('trust_cost_usd_total')}[$__range]))", "{{endpoint}}",
               instant=True)],
        w=6, h=8,
    ).unit("currencyUSD").decimals(2).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    return [tokens, cost, total]


def build() -> db.Dashboard:
    d = base("Probe health", HEALTH_UID,
             "Is the monitor measuring properly: probe requests, errors, latency, runs, tokens, cost (Trust Monitor).",
             time_from="6h")
    d = d.with_variable(datasource_variable()).with_variable(endpoint_variable()) \
        .with_variable(monitor_url_variable())
    d = add_row(d, "Requests", _requests())
    d = add_row(d, "Runs", _runs())
    d = add_row(d, "Tokens and cost", _cost())
    return d
