"""Prometheus metrics: exactly the vocabulary of the external contract (docs/metrics.md).

Fed by run events and by aggregated scores; labels are endpoint names, dimension/sub-dimension words and task
ids only — never prompts, answers or other free text.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from monitor import events
from monitor.adapters import ModelIdentity
from monitor.store.records import RunStatus, Verdict
from probes.catalogue import Task

if TYPE_CHECKING:
    from monitor.published import PublishedScores

TASK_LABELS = ("endpoint", "dimension", "subdimension", "task")
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)


def _changes_state(method: Callable[..., None]) -> Callable[..., None]:
    """The method changes non-published series: bump the state version after it (a rendering made meanwhile
    is then not kept)."""

    @functools.wraps(method)
    def wrapper(self: Metrics, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        finally:
            self._state_version += 1

    return wrapper


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # no *_created series: the contract's vocabulary only
        r = self.registry = CollectorRegistry()
        self.task_score = _Published("trust_task_score", "Task score in [0,1], higher is more trustworthy.",
                                     TASK_LABELS, registry=r)
        self.task_ci_low = _Published("trust_task_score_ci_low", "Lower bound of the task score's 95% interval.",
                                      TASK_LABELS, registry=r)
        self.task_ci_high = _Published("trust_task_score_ci_high", "Upper bound of the task score's 95% interval.",
                                       TASK_LABELS, registry=r)
        self.task_samples = _Published("trust_task_samples", "Scored samples behind the task score.", TASK_LABELS,
                                       registry=r)
        self.task_delta = _Published("trust_task_score_delta",
                                     "Task score change vs the reference, on the paired samples of the latest verdict.",
                                     TASK_LABELS, registry=r)
        self.task_last_scored = _Published("trust_task_last_scored_timestamp_seconds",
                                           "Unix time the run behind trust_task_score finished.", TASK_LABELS,
                                           registry=r)
        self.regression = _Published("trust_regression",
                                     "1 = significant regression vs the reference, 0 = none; absent when inconclusive. "
                                     "Sub-dimension, dimension and overall verdicts have empty lower labels.",
                                     TASK_LABELS, registry=r)
        self.regression_evidence = _Published("trust_regression_evidence",
                                              "-log10 of the Holm-adjusted p-value of a drop (regressed above "
                                              "log10(regression.false_alarm_runs)).", TASK_LABELS, registry=r)
        self.dimension_regression = _Published("trust_dimension_regression",
                                               "1 if the dimension or any sub-dimension or task in it regressed.",
                                               ("endpoint", "dimension"), registry=r)
        self.subdimension_score = _Published("trust_subdimension_score", "Sub-dimension score in [0,1].",
                                             ("endpoint", "dimension", "subdimension"), registry=r)
        self.subdimension_ci_low = _Published("trust_subdimension_score_ci_low",
                                              "Lower bound of the sub-dimension score's 95% interval.",
                                              ("endpoint", "dimension", "subdimension"), registry=r)
        self.subdimension_ci_high = _Published("trust_subdimension_score_ci_high",
                                               "Upper bound of the sub-dimension score's 95% interval.",
                                               ("endpoint", "dimension", "subdimension"), registry=r)
        self.dimension_ci_low = _Published("trust_dimension_score_ci_low", "Lower bound of the dimension score's 95% "
                                           "interval.", ("endpoint", "dimension"), registry=r)
        self.dimension_ci_high = _Published("trust_dimension_score_ci_high", "Upper bound of the dimension score's 95% "
                                            "interval.", ("endpoint", "dimension"), registry=r)
        self.dimension_score = _Published("trust_dimension_score",
                                          "Dimension score in [0,1]: mean of its scored sub-dimensions.",
                                          ("endpoint", "dimension"), registry=r)
        self.overall_score = _Published("trust_overall_score", "Overall score in [0,1]: mean of scored sub-dimensions.",
                                        ("endpoint",), registry=r)
        self.model_info = Gauge("trust_model_info", "Model identity last seen behind the endpoint (always 1).",
                                ("endpoint", "model", "version", "fingerprint"), registry=r)
        self.model_changes = Counter("trust_model_changes", "Model identity changes seen.", ("endpoint",),
                                     registry=r)
        self.runs = Counter("trust_runs", "Finished runs.", ("endpoint", "trigger", "status"), registry=r)
        self.run_duration = Histogram("trust_run_duration_seconds", "Wall time of finished runs.", ("endpoint",),
                                      buckets=DURATION_BUCKETS, registry=r)
        self.last_run = Gauge("trust_last_run_timestamp_seconds", "Unix time the last successful run finished.",
                              ("endpoint",), registry=r)
        self.schedule_interval = Gauge("trust_schedule_interval_seconds",
                                       "Nominal seconds between scheduled runs (the longest gap of a crontab).",
                                       ("endpoint",), registry=r)
        self.slo_target = Gauge("trust_slo_target", "Configured floor of the dimension score (config 'slo').",
                                ("endpoint", "dimension"), registry=r)
        self.probe_requests = Counter("trust_probe_requests", "Probe requests by final outcome.",
                                      ("endpoint", "outcome"), registry=r)
        self.probe_latency = Histogram("trust_probe_latency_seconds", "Latency of answered probe requests.",
                                       ("endpoint",), buckets=LATENCY_BUCKETS, registry=r)
        self.endpoint_up = Gauge("trust_endpoint_up", "1 if the endpoint answered its last probe request.",
                                 ("endpoint",), registry=r)
        self.endpoint_concurrency = Gauge("trust_endpoint_concurrency",
                                          "Requests the monitor lets be in flight to the endpoint now: its adaptive "
                                          "limit (cut on rate limiting, up to the configured concurrency).",
                                          ("endpoint",), registry=r)
        self.suite_info = Gauge("trust_suite_info", "Version (content hash) of the probe suite (always 1).",
                                ("version",), registry=r)
        self.tokens = Counter("trust_tokens", "Tokens reported by the endpoint.", ("endpoint", "kind"), registry=r)
        self.cost = Counter("trust_cost_usd", "Cost of probe requests in USD, from the endpoint's pricing table.",
                            ("endpoint",), registry=r)
        self._model_labels: dict[str, tuple[str, str, str]] = {}
        # the exposition: every family in registration order. The published-score families (_Published: set only
        # by set_published, thousands of series with many endpoints) keep their own rendering per endpoint; the
        # others are rendered again only when something changed them
        self._families: list[MetricWrapperBase | _Published] = [
            m for m in vars(self).values() if isinstance(m, MetricWrapperBase | _Published)]
        self._state_version = 0  # every other family: bumped by each event or state change made through here
        # the families probe events change (many per second in a run) are rendered per endpoint, again only for
        # an endpoint that had a probe event since (or after any other change)
        self._sample_versions: dict[str, int] = {}
        self._sample_families = {id(m) for m in (self.probe_requests, self.probe_latency, self.endpoint_up,
                                                 self.tokens, self.cost)}
        self._rendered: dict[int, tuple[object, bytes]] = {}
        self._rendered_by_endpoint: dict[int, dict[str, tuple[object, bytes]]] = {}
        self._render_lock = threading.Lock()

    # -- exposition -------------------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """What ``generate_latest(self.registry)`` gives, without rendering a series again unless something
        changed it: the published-score families (thousands of series with many endpoints) were rendered by the
        publication itself, per endpoint; the others are rendered again after an event or a state change
        (:meth:`changed` for a change made from outside). Thread-safe: call it off the event loop."""
        with self._render_lock:
            state, samples = self._state_version, self._sample_versions.copy()  # before reading any family
            parts: list[bytes] = []
            for family in self._families:
                if isinstance(family, _Published):
                    parts.append(family.render())
                elif id(family) in self._sample_families:
                    cached = self._rendered.get(id(family))
                    if cached is None or cached[0] != (state, samples):
                        cached = ((state, samples), self._render_by_endpoint(family, state, samples))
                        self._rendered[id(family)] = cached
                    parts.append(cached[1])
                else:
                    cached = self._rendered.get(id(family))
                    if cached is None or cached[0] != state:
                        cached = (state, generate_latest(_Only(family)))
                        self._rendered[id(family)] = cached
                    parts.append(cached[1])
        return b"".join(parts)

    def _render_by_endpoint(self, family: MetricWrapperBase, state: int, versions: Mapping[str, int]) -> bytes:
        """The family as ``generate_latest`` writes it, its series grouped by endpoint (each series' samples
        together, as written there), formatting again only the endpoints whose version changed."""
        (metric,) = family.collect()
        groups: dict[str, list[Sample]] = {}
        for sample in metric.samples:
            groups.setdefault(sample.labels.get("endpoint", ""), []).append(sample)
        cache = self._rendered_by_endpoint.setdefault(id(family), {})
        header = Metric(metric.name, metric.documentation, metric.type)
        parts = [generate_latest(_Fixed(header))]
        for endpoint, series in groups.items():
            version = (state, versions.get(endpoint, 0))
            cached = cache.get(endpoint)
            if cached is None or cached[0] != version:
                part = Metric(metric.name, metric.documentation, metric.type)
                part.samples = series
                text = generate_latest(_Fixed(part))
                cached = (version, text[len(parts[0]):])  # without the family's HELP and TYPE lines
                cache[endpoint] = cached
            parts.append(cached[1])
        for endpoint in cache.keys() - groups.keys():
            del cache[endpoint]
        return b"".join(parts)

    @_changes_state
    def set_concurrency(self, endpoint: str, limit: int) -> None:
        self.endpoint_concurrency.labels(endpoint).set(limit)

    def changed(self) -> None:
        """Say that a metric was set directly (not through a method here): the next exposition renders it."""
        self._state_version += 1

    # -- events -----------------------------------------------------------------------------------------
    def on_event(self, event: events.Event) -> None:
        try:
            self._on_event(event)
        finally:  # probe events (many per second in a run) make only their endpoint's series render again
            if event.kind == events.SAMPLE_DONE:
                self._sample_versions[event.endpoint] = self._sample_versions.get(event.endpoint, 0) + 1
            else:
                self._state_version += 1

    def _on_event(self, event: events.Event) -> None:
        if event.kind == events.SAMPLE_DONE:
            self.probe_requests.labels(event.endpoint, event.outcome).inc()
            answered = event.outcome in ("ok", "platform_refusal")
            if answered and event.latency_s is not None:
                self.probe_latency.labels(event.endpoint).observe(event.latency_s)
            if answered or event.outcome in ("timeout", "connection", "server_error"):
                self.endpoint_up.labels(event.endpoint).set(1 if answered else 0)
            if event.tokens_in:
                self.tokens.labels(event.endpoint, "input").inc(event.tokens_in)
            if event.tokens_out:
                self.tokens.labels(event.endpoint, "output").inc(event.tokens_out)
            if event.cost_usd:
                self.cost.labels(event.endpoint).inc(event.cost_usd)
        elif event.kind == events.RUN_FINISHED:
            self.runs.labels(event.endpoint, event.trigger or "unknown", event.status).inc()
            if event.duration_s is not None:
                self.run_duration.labels(event.endpoint).observe(event.duration_s)
            if event.status == RunStatus.SUCCEEDED.value:
                self.last_run.labels(event.endpoint).set(event.at.timestamp())
        elif event.kind == events.ENDPOINT_CHECKED:
            # a model-identity read between runs: says whether the endpoint answers when no run is going
            if event.outcome == "ok":
                self.endpoint_up.labels(event.endpoint).set(1)
            elif event.outcome in ("timeout", "connection", "server_error"):
                self.endpoint_up.labels(event.endpoint).set(0)
        elif event.kind == events.MODEL_CHANGED:
            self.model_changes.labels(event.endpoint).inc()

    # -- state ------------------------------------------------------------------------------------------
    @_changes_state
    def set_suite(self, version: str) -> None:
        self.suite_info.clear()
        self.suite_info.labels(version).set(1)

    @_changes_state
    def set_model(self, endpoint: str, identity: ModelIdentity) -> None:
        labels = (identity.model, identity.version, identity.fingerprint)
        old = self._model_labels.get(endpoint)
        if old is not None and old != labels:
            self.model_info.remove(endpoint, *old)
        self._model_labels[endpoint] = labels
        self.model_info.labels(endpoint, *labels).set(1)

    @_changes_state
    def init_endpoint(self, endpoint: str, *, slo: Mapping[str, float] | None = None,
                      schedule_interval: float | None = None) -> None:
        """Make per-endpoint counters exist at 0 so rate() works from the first scrape; set what config says."""
        self.model_changes.labels(endpoint)
        for dimension, floor in (slo or {}).items():
            self.slo_target.labels(endpoint, dimension).set(floor)
        if schedule_interval is not None:
            self.schedule_interval.labels(endpoint).set(schedule_interval)

    def set_published(self, view: PublishedScores, tasks: Mapping[str, Task]) -> None:
        """Publish an endpoint's scores and verdicts, rendered here (in the caller's thread, not the scrape's);
        series no longer in ``view`` are removed."""
        ep = view.endpoint
        task_values: dict[_Published, dict[tuple[str, ...], float]] = {
            g: {} for g in (self.task_score, self.task_ci_low, self.task_ci_high, self.task_samples,
                            self.task_last_scored)}
        for tid, scored in view.tasks.items():
            task = tasks.get(tid)
            rec = scored.score
            if task is None or rec.score is None:
                continue
            labels = (ep, task.dimension.value, task.subdimension, tid)
            task_values[self.task_score][labels] = rec.score
            task_values[self.task_ci_low][labels] = rec.ci_low if rec.ci_low is not None else rec.score
            task_values[self.task_ci_high][labels] = rec.ci_high if rec.ci_high is not None else rec.score
            task_values[self.task_samples][labels] = rec.n_scored
            if scored.finished_at is not None:
                task_values[self.task_last_scored][labels] = scored.finished_at.timestamp()
        for family, values in task_values.items():
            family.set(ep, values)

        agg = view.aggregate
        self.subdimension_score.set(ep, {(ep, agg.subdimension_of[s], s): v for s, v in agg.subdimensions.items()})
        self.dimension_score.set(ep, {(ep, d): v for d, v in agg.dimensions.items()})
        for bound, sub_family, dim_family in ((0, self.subdimension_ci_low, self.dimension_ci_low),
                                              (1, self.subdimension_ci_high, self.dimension_ci_high)):
            sub_family.set(ep, {(ep, agg.subdimension_of[s], s): agg.intervals[s][bound]
                                for s in agg.subdimensions if s in agg.intervals})
            dim_family.set(ep, {(ep, d): agg.intervals[d][bound] for d in agg.dimensions if d in agg.intervals})
        self.overall_score.set(ep, {} if agg.overall is None else {(ep,): agg.overall})

        regression: dict[tuple[str, ...], float] = {}
        evidence: dict[tuple[str, ...], float] = {}
        delta: dict[tuple[str, ...], float] = {}
        by_dimension: dict[str, float] = {}
        for (_, _), (_, v) in view.verdicts.items():
            if v.verdict is Verdict.INCONCLUSIVE:
                continue
            labels = (ep, v.dimension, v.subdimension, v.task)
            flag = 1.0 if v.verdict is Verdict.REGRESSED else 0.0
            regression[labels] = flag
            if v.evidence is not None:
                evidence[labels] = v.evidence
            if v.task and v.delta is not None:
                delta[labels] = v.delta
            if v.dimension:
                by_dimension[v.dimension] = max(by_dimension.get(v.dimension, 0.0), flag)
        self.regression.set(ep, regression)
        self.regression_evidence.set(ep, evidence)
        self.task_delta.set(ep, delta)
        self.dimension_regression.set(ep, {(ep, d): f for d, f in by_dimension.items()})


@functools.lru_cache(maxsize=4096)  # label values are a small vocabulary: endpoint names, dimensions, task ids
def _escape_label(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r'\"')


class _Published:
    """A gauge family that only publications set (thousands of series with 100 endpoints): per endpoint, its
    series and their exposition lines, rendered once by the publication and kept, so that neither a scrape nor a
    publication creates a labelled child per series. A collector of the registry (``generate_latest`` and
    ``get_sample_value`` see it as a gauge); the lines are what ``generate_latest`` writes for them."""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...], *,
                 registry: CollectorRegistry) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self._order = sorted(range(len(labelnames)), key=lambda i: labelnames[i])  # the text sorts label names
        # name{a="%s",b="%s"} with the label names in that order: a series' line is this % its escaped values
        self._template = name + "{" + ",".join(f'{labelnames[i]}="%s"' for i in self._order) + "} "
        doc = documentation.replace("\\", r"\\").replace("\n", r"\n")
        self._header = f"# HELP {name} {doc}\n# TYPE {name} gauge\n".encode()
        self._endpoints: dict[str, tuple[dict[tuple[str, ...], float], bytes]] = {}
        self._rendered: bytes | None = None
        self._lock = threading.Lock()
        registry.register(self)

    def set(self, endpoint: str, values: Mapping[tuple[str, ...], float]) -> None:
        """The endpoint's series are ``values`` (label values in ``labelnames`` order) and no others."""
        series = {labels: float(value) for labels, value in values.items()}
        lines = "".join(self._line(labels, value) for labels, value in series.items()).encode()
        with self._lock:
            if series:
                self._endpoints[endpoint] = (series, lines)
            else:
                self._endpoints.pop(endpoint, None)
            self._rendered = None

    def _line(self, labels: tuple[str, ...], value: float) -> str:
        return self._template % tuple(_escape_label(labels[i]) for i in self._order) + floatToGoString(value) + "\n"

    def render(self) -> bytes:
        """This family's part of the exposition: header and every endpoint's lines."""
        with self._lock:
            if self._rendered is None:
                self._rendered = self._header + b"".join(lines for _, lines in self._endpoints.values())
            return self._rendered

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "gauge")]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            endpoints = [series for series, _ in self._endpoints.values()]
        family = Metric(self.name, self.documentation, "gauge")
        for series in endpoints:
            for labels, value in series.items():
                family.add_sample(self.name, dict(zip(self.labelnames, labels, strict=True)), value)
        return [family]


class _Fixed:
    """Metric families already collected, seen as a registry, for ``generate_latest``."""

    def __init__(self, *metrics: Metric) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


class _Only:
    """One collector seen as a registry, for ``generate_latest``."""

    def __init__(self, collector: MetricWrapperBase) -> None:
        self._collector = collector

    def collect(self) -> Iterable[Metric]:
        return self._collector.collect()
