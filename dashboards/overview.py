"""Trust overview: is every endpoint still trustworthy, and is its monitoring current?

Per endpoint: the overall and five dimension scores, TrustRegression alerts firing now, the dimensions below
their SLO floor (trust_slo_target), the age of the last successful run, the model and version served, and model
changes in the last 24 hours.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, table
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders.common import ReduceDataOptions
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from dashboards.common import (
    EP,
    OVERVIEW_UID,
    SCORE_THRESHOLDS,
    add_row,
    base,
    datasource_variable,
    endpoint_variable,
    field_detail_link,
    field_run_links,
    monitor_url_variable,
    panel,
    prop,
    query,
    row_run_links,
    runs_link,
    sel,
    thresholds,
)

# TrustRunsStale's default: 3 x the usual 15-minute schedule (deploy/prometheus/generate_rules.py).
STALE_AFTER_S = 3 * 15 * 60


def _last() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def _scores() -> list[stat.Panel | bargauge.Panel]:
    overall = panel(
        stat.Panel(), "Overall score",
        "Mean of the scored sub-dimensions (as the MultiTrust leaderboard). No value: a task of the endpoint's set "
        "has no score yet (`trust-monitor runs show RUN_ID` says which).",
        [query(f"max by (endpoint) ({sel('trust_overall_score')})", "{{endpoint}}", instant=True)],
        w=6, h=8, links=[runs_link()],
    ).unit("percentunit").min(0).max(1).decimals(1).thresholds(thresholds(*SCORE_THRESHOLDS)) \
        .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(_last()).data_links([field_detail_link(), *field_run_links()])
    dimensions = panel(
        bargauge.Panel(), "Dimension scores",
        "Each dimension's score (mean of its sub-dimensions) per endpoint; colours are fixed display bands, the "
        "SLO floors are judged in 'SLO status'. Click a bar for the endpoint's detail.",
        [query(f"max by (endpoint, dimension) ({sel('trust_dimension_score')})", "{{endpoint}} · {{dimension}}",
               instant=True)],
        w=18, h=8,
    ).unit("percentunit").min(0).max(1).decimals(1).thresholds(thresholds(*SCORE_THRESHOLDS)) \
        .display_mode(common.BarGaugeDisplayMode.GRADIENT).orientation(common.VizOrientation.HORIZONTAL) \
        .reduce_options(_last()).data_links([field_detail_link(), *field_run_links()])
    return [overall, dimensions]


def _alerts() -> list[stat.Panel | table.Panel]:
    firing = panel(
        stat.Panel(), "Regressions firing now",
        "TrustRegression alerts firing per endpoint (Prometheus ALERTS): the regression detector judged a dimension, "
        "or a sub-dimension or task in it, worse than its reference. No value: none firing.",
        [query(f'count by (endpoint) (ALERTS{{alertname="TrustRegression",alertstate="firing",{EP}}})',
               "{{endpoint}}", instant=True)],
        w=6, h=7,
    ).no_value("0").thresholds(thresholds((None, "green"), (1, "red"))) \
        .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(_last()).data_links([field_detail_link(), *field_run_links()])
    below = panel(
        stat.Panel(), "Dimensions below SLO",
        "Dimensions whose score is under the endpoint's configured floor (trust_slo_target, config 'slo') now; "
        "TrustBelowSLO fires once this has lasted 30 minutes. No value: none below.",
        [query(f"count by (endpoint) (endpoint_dimension:trust_slo_margin:diff{{{EP}}} < 0)", "{{endpoint}}",
               instant=True)],
        w=6, h=7,
    ).no_value("0").thresholds(thresholds((None, "green"), (1, "red"))) \
        .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(_last()).data_links([field_detail_link()])
    slo = panel(
        table.Panel(), "SLO status",
        "Per endpoint and dimension: the score, its SLO floor and the margin (score − floor; red below the floor). "
        "Dimensions without a configured floor have no target and no margin.",
        [query(f"max by (endpoint, dimension) ({sel('trust_dimension_score')})", ref="A", table=True),
         query(f"max by (endpoint, dimension) ({sel('trust_slo_target')})", ref="B", table=True),
         query(f"endpoint_dimension:trust_slo_margin:diff{{{EP}}}", ref="C", table=True)],
        w=12, h=7,
    ).with_transformation(model.DataTransformerConfig(id_val="merge", options={})) \
        .with_transformation(model.DataTransformerConfig(id_val="organize", options={
            "excludeByName": {"Time": True},
            "indexByName": {"endpoint": 0, "dimension": 1, "Value #A": 2, "Value #B": 3, "Value #C": 4},
            "renameByName": {"Value #A": "score", "Value #B": "SLO floor", "Value #C": "margin"},
        })).unit("percentunit").decimals(1) \
        .override_by_name("margin", [
            prop("thresholds", {"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                              {"color": "green", "value": 0}]}),
            prop("custom.cellOptions", {"type": "color-background"}),
        ]).data_links(row_run_links())
    return [firing, below, slo]


def _runs_and_models() -> list[stat.Panel | table.Panel]:
    age = panel(
        stat.Panel(), "Last successful run",
        "Time since the endpoint's last successful run finished. Orange past two 15-minute schedule intervals, red "
        "past three (when TrustRunsStale fires at the default schedule).",
        [query(f"endpoint:trust_last_run_age_seconds:time{{{EP}}}", "{{endpoint}}", instant=True)],
        w=6, h=7, links=[runs_link()],
    ).unit("s").decimals(0).thresholds(thresholds((None, "green"), (2 * 15 * 60, "orange"), (STALE_AFTER_S, "red"))) \
        .color_mode(common.BigValueColorMode.VALUE).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(_last()).data_links(field_run_links())
    changes = panel(
        stat.Panel(), "Model changes (24 h)",
        "How often the model identity behind the endpoint (name, version, config fingerprint) changed in the last "
        "24 hours: each change starts a run judged against the previous model.",
        [query(f"round(sum by (endpoint) (increase({sel('trust_model_changes_total')}[24h])))", "{{endpoint}}",
               instant=True)],
        w=6, h=7,
    ).decimals(0).thresholds(thresholds((None, "text"), (1, "blue"))) \
        .color_mode(common.BigValueColorMode.VALUE).graph_mode(common.BigValueGraphMode.NONE) \
        .reduce_options(_last()).data_links([field_detail_link()])
    models = panel(
        table.Panel(), "Model per endpoint",
        "The model identity the monitor last saw behind each endpoint (trust_model_info).",
        [query(f"max by (endpoint, model, version, fingerprint) ({sel('trust_model_info')})", table=True)],
        w=12, h=7,
    ).with_transformation(model.DataTransformerConfig(id_val="organize", options={
        "excludeByName": {"Time": True, "Value": True},
        "indexByName": {"endpoint": 0, "model": 1, "version": 2, "fingerprint": 3},
    })).data_links(row_run_links())
    return [age, changes, models]


def build() -> db.Dashboard:
    d = base("Trust overview", OVERVIEW_UID,
             "Every endpoint's trust scores, regressions, SLO status, run freshness and model (Trust Monitor).",
             time_from="6h")
    d = d.with_variable(datasource_variable()).with_variable(endpoint_variable()) \
        .with_variable(monitor_url_variable())
    d = add_row(d, "Scores", _scores())
    d = add_row(d, "Regressions and SLO", _alerts())
    d = add_row(d, "Runs and models", _runs_and_models())
    return d
