"""Endpoint detail: what changed in an endpoint's trust, where, since when — and is it the model or the serving?

Dimension, sub-dimension and overall scores over time with their 95% intervals as bands (and the SLO floors),
then Triton's own request, failure and queue metrics of the model behind the endpoint on the same time axis (a
row that stays empty when Triton is not scraped), then per endpoint: every task's score with its 95% interval as
a band, all tasks × time, the score changes against the regression reference and the verdicts. Model changes and
firing TrustRegression alerts are annotations on every graph.
"""

from __future__ import annotations

from collections import defaultdict

from grafana_foundation_sdk.builders import bargauge, prometheus, statetimeline, table, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from dashboards.common import (
    DETAIL_UID,
    DIM,
    EP,
    SCORE_THRESHOLDS,
    VERDICT_MAPPING,
    PrometheusAnnotation,
    add_row,
    base,
    datasource_variable,
    dimension_variable,
    endpoint_variable,
    field_run_links,
    monitor_url_variable,
    panel,
    prop,
    query,
    runs_link,
    sel,
    thresholds,
    value_text,
)
from probes.catalogue import SUBDIMENSIONS, all_tasks

# Band colours of the tasks of one dimension (Grafana's named colours), in task order.
PALETTE = ("blue", "orange", "green", "purple", "red", "yellow", "dark-blue", "dark-orange", "dark-green")
# The selected dimensions and the overall verdict (its dimension label is empty).
WITH_OVERALL = 'dimension=~"$dimension|"'
# The smallest drop the regression detector can call a regression (regression.min_effect, 5 points).
MIN_EFFECT = 0.05
# Triton's metrics carry the model's name, as trust_model_info does: keep the Triton series of the models behind
# the selected endpoints (several endpoints may share a model: `and` does not mind).
TRITON_MODELS = f"on (model) group by (model) ({sel('trust_model_info')})"


def _tasks_by_dimension() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for task in all_tasks().values():
        out[task.dimension.value].append(task.id)
    return dict(out)


def _annotations() -> list[PrometheusAnnotation]:
    return [
        PrometheusAnnotation(
            "Model changes", f"sum by (endpoint) (increase({sel('trust_model_changes_total')}[2m])) > 0",
            title="Model changed behind {{endpoint}}", tag_keys="endpoint", color="blue"),
        PrometheusAnnotation(
            "TrustRegression firing",
            f'max by (endpoint, dimension) (ALERTS{{alertname="TrustRegression",alertstate="firing",{EP}}})',
            title="TrustRegression: {{dimension}} on {{endpoint}}", tag_keys="endpoint,dimension", color="red"),
    ]


def _score_graph(p: timeseries.Panel) -> timeseries.Panel:
    return (p.unit("percentunit").min(0).max(1).decimals(1).span_nulls(True)
            .line_interpolation(common.LineInterpolation.STEP_AFTER)
            .legend(VizLegendOptions().display_mode(common.LegendDisplayMode.TABLE)
                    .placement(common.LegendPlacement.RIGHT).show_legend(True).calcs(["lastNotNull"]))
            .data_links(field_run_links()))


def _band_queries(metric: str, by: str, refs: str = "ABC") -> list[prometheus.Dataquery]:
    """The score and its interval bounds, legends '{{by}}', '{{by}} low', '{{by}} high'."""
    return [query(f"max by ({by}) ({sel(name, DIM)})", legend, ref=ref)
            for name, legend, ref in ((metric, f"{{{{{by}}}}}", refs[0]),
                                      (f"{metric}_ci_low", f"{{{{{by}}}}} low", refs[1]),
                                      (f"{metric}_ci_high", f"{{{{{by}}}}} high", refs[2]))]


def _banded(p: timeseries.Panel, groups: list[list[str]]) -> timeseries.Panel:
    """'<name> high' fills down to '<name> low' in the colour of '<name>' (colours restart in each group). Grafana
    fills between two series by name, so the generator writes one override per known series name."""
    p = p.override_by_regexp(".* (low|high)$", [
        prop("custom.lineWidth", 0),
        prop("custom.hideFrom", {"legend": True, "tooltip": False, "viz": False}),
    ])
    for names in groups:
        for i, name in enumerate(names):
            color = {"mode": "fixed", "fixedColor": PALETTE[i % len(PALETTE)]}
            p = p.override_by_name(name, [prop("color", color)])
            p = p.override_by_name(f"{name} low", [prop("color", color)])
            p = p.override_by_name(f"{name} high", [prop("color", color),
                                                   prop("custom.fillBelowTo", f"{name} low"),
                                                   prop("custom.fillOpacity", 20)])
    return p


def _scores() -> list[timeseries.Panel]:
    """Dimension and sub-dimension scores with their 95% intervals as bands, one panel per selected endpoint
    (repeated over $endpoint, so the series names - and the band overrides - are the fixed group names)."""
    dimensions = _score_graph(panel(
        timeseries.Panel(), "$endpoint: dimension and overall scores",
        "Dimension scores (mean of their sub-dimensions) with their 95% intervals (band), and the overall score; "
        "dashed: the dimension's SLO floor (config 'slo'). A score steps when a run finishes; a gap means a task "
        "of the set had no score.",
        [*_band_queries("trust_dimension_score", "dimension", refs="ADE"),
         query(f"max ({sel('trust_overall_score')})", "overall", ref="B"),
         query(f"max by (dimension) ({sel('trust_slo_target', DIM)})", "{{dimension}} SLO", ref="C")],
        w=24, h=9,
    ).repeat("endpoint").repeat_direction("h").max_per_row(2)).override_by_regexp(".* SLO$", [
        prop("custom.lineStyle", {"fill": "dash", "dash": [10, 10]}),
        prop("custom.lineWidth", 1),
    ])
    subdimensions = _score_graph(panel(
        timeseries.Panel(), "$endpoint: sub-dimension scores",
        "Sub-dimension scores (mean of their tasks; Privacy Awareness 0.4·P.1 + 0.3·P.2 + 0.3·P.3) with their 95% "
        "intervals (band: the tasks' intervals combined as independent estimates).",
        _band_queries("trust_subdimension_score", "subdimension"),
        w=24, h=9,
    ).repeat("endpoint").repeat_direction("h").max_per_row(2))
    dims = [d.value for d in SUBDIMENSIONS]
    subs = [sub for group in SUBDIMENSIONS.values() for sub in group]
    return [_banded(dimensions, [dims]), _banded(subdimensions, [subs])]


def _triton() -> list[timeseries.Panel]:
    def per_model(metric: str) -> str:
        return f"sum by (instance, model, version) (rate({metric}[$__rate_interval]))"

    requests = panel(
        timeseries.Panel(), "Triton: requests",
        "Successful and failed inference requests per second of the models behind the selected endpoints, from "
        "Triton's own metrics (its metrics port scraped by Prometheus). A trust drop with failures here is a serving "
        "problem; without, look at the model.",
        [query(f"{per_model('nv_inference_request_success')} and {TRITON_MODELS}", "{{model}} v{{version}} ok"),
         query(f"{per_model('nv_inference_request_failure')} and {TRITON_MODELS}", "{{model}} v{{version}} failed",
               ref="B")],
        w=8, h=8,
    ).unit("reqps").override_by_regexp(".* failed$", [prop("color", {"mode": "fixed", "fixedColor": "red"})])
    queue = panel(
        timeseries.Panel(), "Triton: queue time per request",
        "Mean time a request waited in Triton's queue (nv_inference_queue_duration_us over successful requests).",
        [query(f"{per_model('nv_inference_queue_duration_us')} / {per_model('nv_inference_request_success')} "
               f"and {TRITON_MODELS}", "{{model}} v{{version}}")],
        w=8, h=8,
    ).unit("µs")
    inferences = panel(
        timeseries.Panel(), "Triton: inferences",
        "Inferences per second (nv_inference_count: batched requests count each item) of the models behind the "
        "selected endpoints — the monitor's probes and production traffic together.",
        [query(f"{per_model('nv_inference_count')} and {TRITON_MODELS}", "{{model}} v{{version}}")],
        w=8, h=8,
    ).unit("ops")
    return [requests, queue, inferences]


def _task_bands() -> timeseries.Panel:
    """One panel per dimension (repeated over $dimension): each task's score with its 95% interval as a band.

    Grafana fills between two series by name (fillBelowTo on the upper one), so the generator writes one override
    per task of the catalogue: '<task> high' fills down to '<task> low', both in the task's colour."""
    p = panel(
        timeseries.Panel(), "$dimension: task scores with 95% intervals",
        "Each task's published score (line) and its 95% interval (band; Wilson, or the combined interval of a "
        "cross-modal task's groups). A task with too few scored samples has no value, never zero.",
        _band_queries("trust_task_score", "task"),
        w=24, h=9,  # Grafana sizes horizontal repeats itself: 24 / min(selected, max_per_row) columns each
    ).repeat("dimension").repeat_direction("h").max_per_row(3)
    return _banded(_score_graph(p), list(_tasks_by_dimension().values()))


def _per_endpoint() -> list[timeseries.Panel | statetimeline.Panel | bargauge.Panel | table.Panel]:
    heatmap = panel(
        statetimeline.Panel(), "Task scores over time",
        "All tasks × time, coloured by score (red under 0.5, orange under 0.8). A run changes a task's cell when it "
        "finishes; grey: no score.",
        [query(f"max by (task) ({sel('trust_task_score')})", "{{task}}")],
        w=24, h=16,
    ).unit("percentunit").min(0).max(1).decimals(2).thresholds(thresholds(*SCORE_THRESHOLDS)) \
        .color_scheme(db.FieldColor().mode(model.FieldColorModeId.THRESHOLDS)).show_value(common.VisibilityMode.NEVER) \
        .merge_values(True).row_height(0.9).data_links(field_run_links())
    deltas = panel(
        bargauge.Panel(), "Change vs the reference",
        "Each task's score change against the regression reference, on the paired samples of the latest verdict "
        "(trust_task_score_delta). Red: a drop of at least 5 points, the least the detector may call a regression; "
        "whether it is one is the verdict's call.",
        [query(f"max by (task) ({sel('trust_task_score_delta', DIM)})", "{{task}}", instant=True)],
        w=12, h=12,
    ).unit("percentunit").min(-1).max(1).decimals(1) \
        .thresholds(thresholds((None, "red"), (-MIN_EFFECT, "orange"), (0, "green"))) \
        .display_mode(common.BarGaugeDisplayMode.BASIC).orientation(common.VizOrientation.HORIZONTAL) \
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    verdicts = panel(
        table.Panel(), "Regression verdicts",
        "The latest verdict per task, sub-dimension, dimension and overall (empty lower labels for the groups): "
        "regressed or ok (inconclusive ones are absent), with the evidence, −log10 of the Holm-adjusted p-value.",
        [query(f"max by (dimension, subdimension, task) ({sel('trust_regression', WITH_OVERALL)})", table=True),
         query(f"max by (dimension, subdimension, task) ({sel('trust_regression_evidence', WITH_OVERALL)})",
               ref="B", table=True)],
        w=12, h=12, links=[runs_link("${endpoint}")],
    ).with_transformation(model.DataTransformerConfig(id_val="merge", options={})) \
        .with_transformation(model.DataTransformerConfig(id_val="organize", options={
            "excludeByName": {"Time": True},
            "indexByName": {"dimension": 0, "subdimension": 1, "task": 2, "Value #A": 3, "Value #B": 4},
            "renameByName": {"Value #A": "verdict", "Value #B": "evidence"},
        })).override_by_name("verdict", [
            prop("mappings", value_text(VERDICT_MAPPING)),
            prop("custom.cellOptions", {"type": "color-text"}),
        ]).override_by_name("evidence", [prop("decimals", 1)])
    dimension_verdicts = panel(
        statetimeline.Panel(), "Dimension verdicts over time",
        "Per dimension: regressed when the dimension or any sub-dimension or task in it regressed in the latest "
        "verdict (trust_dimension_regression, what TrustRegression fires on).",
        [query(f"max by (dimension) ({sel('trust_dimension_regression', DIM)})", "{{dimension}}")],
        w=24, h=6,
    ).mappings(value_text(VERDICT_MAPPING)).show_value(common.VisibilityMode.AUTO).merge_values(True)
    return [_task_bands(), heatmap, deltas, verdicts, dimension_verdicts]


def build() -> db.Dashboard:
    d = base("Endpoint detail", DETAIL_UID,
             "An endpoint's trust over time: scores with intervals, every task, deltas, verdicts, model changes, and "
             "Triton's serving metrics beside them (Trust Monitor).", time_from="24h")
    d = d.with_variable(datasource_variable()).with_variable(endpoint_variable()) \
        .with_variable(dimension_variable()).with_variable(monitor_url_variable())
    for annotation in _annotations():
        d = d.annotation(annotation)
    d = add_row(d, "Scores", _scores())
    d = add_row(d, "Serving: Triton's own metrics (empty when Triton is not scraped)", _triton())
    return add_row(d, "Tasks and verdicts: $endpoint", _per_endpoint(), repeat="endpoint")
