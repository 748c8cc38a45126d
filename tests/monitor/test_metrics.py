"""What the SLO, schedule, last-run and endpoint-up series say, fed the way the service feeds them."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from monitor import events
from monitor.config import Config
from monitor.metrics import Metrics, _Published
from monitor.published import Publisher
from monitor.store import RunStatus, Store
from probes.catalogue import all_tasks


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_slo_targets_and_schedule_interval_come_from_config() -> None:
    config = Config.model_validate({
        "slo": {"safety": 0.9, "privacy": 0.8},
        "endpoints": [{"name": "a", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
                       "slo": {"privacy": 0.95}, "schedule": {"interval": "15m"}}],
    })
    metrics = Metrics()
    (ep,) = config.endpoints
    metrics.init_endpoint("a", slo=config.slo_of(ep), schedule_interval=900.0)
    assert _value(metrics, "trust_slo_target", endpoint="a", dimension="safety") == 0.9
    assert _value(metrics, "trust_slo_target", endpoint="a", dimension="privacy") == 0.95  # the endpoint's own
    assert _value(metrics, "trust_slo_target", endpoint="a", dimension="fairness") is None  # no floor: no series
    assert _value(metrics, "trust_schedule_interval_seconds", endpoint="a") == 900.0


def test_last_run_timestamp_counts_successful_runs_only() -> None:
    metrics = Metrics()
    ok_at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    metrics.on_event(events.Event(events.RUN_FINISHED, "a", "r1", status="succeeded", trigger="schedule", at=ok_at))
    for status in ("degraded", "failed", "stopped", "interrupted"):
        metrics.on_event(events.Event(events.RUN_FINISHED, "a", "r2", status=status, trigger="schedule",
                                      at=datetime(2026, 12, 1, 11, 0, tzinfo=UTC)))
    assert _value(metrics, "trust_last_run_timestamp_seconds", endpoint="a") == ok_at.timestamp()
    assert _value(metrics, "trust_runs_total", endpoint="a", trigger="schedule", status="failed") == 1


def test_identity_checks_between_runs_say_whether_the_endpoint_is_up() -> None:
    metrics = Metrics()
    check = [("ok", 1.0), ("connection", 0.0), ("client_error", 0.0), ("ok", 1.0), ("timeout", 0.0),
             ("auth_error", 0.0), ("server_error", 0.0)]
    for outcome, expected in check:  # a client or auth error says nothing about reachability: left as it was
        metrics.on_event(events.Event(events.ENDPOINT_CHECKED, "a", outcome=outcome))
        assert _value(metrics, "trust_endpoint_up", endpoint="a") == expected, outcome


def test_restored_last_run_is_the_newest_successful_one(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/m.db")
    try:
        good = store.create_run("a", "schedule", ["S.4"], "v", "default")
        store.finish_run(good.id, RunStatus.SUCCEEDED)
        later = store.create_run("a", "schedule", ["S.4"], "v", "default")
        store.finish_run(later.id, RunStatus.FAILED)
        config = Config.model_validate({"endpoints": [
            {"name": "a", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}]})
        metrics = Metrics()
        Publisher(config, store, metrics, all_tasks(), lambda _: ["S.4"]).restore()
        finished = store.get_run(good.id)
        assert finished is not None and finished.finished_at is not None
        assert _value(metrics, "trust_last_run_timestamp_seconds", endpoint="a") == finished.finished_at.timestamp()
    finally:
        store.close()


def _same_text(served: bytes, reference: bytes) -> bool:
    """The same families in the same order, each with the same lines, each series' lines together (a histogram's
    buckets, count and sum): what Prometheus reads the same way. Only the order of series within a family may
    differ (the probe-event families are kept per endpoint)."""
    def families(text: bytes) -> list[tuple[str, ...]]:
        out: list[list[str]] = []
        for line in text.decode().splitlines():
            if line.startswith("# HELP"):
                out.append([])
            out[-1].append(line)
        return [tuple(f) for f in out]

    def series(line: str) -> tuple[str, str]:  # a histogram's _bucket (any le), _count and _sum: one series
        name, _, labels = line.rsplit(" ", 1)[0].partition("{")
        for suffix in ("_bucket", "_count", "_sum"):
            name = name.removesuffix(suffix)
        return name, re.sub(r'(^|,)le="[^"]*"', "", labels)

    got, want = families(served), families(reference)
    if [f[:2] for f in got] != [f[:2] for f in want] or [sorted(f) for f in got] != [sorted(f) for f in want]:
        return False
    for family in got:  # each series' samples in one run of lines
        keys = [series(line) for line in family[2:]]
        runs = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
        if len(runs) != len(set(runs)):
            return False
    return True


def test_probe_events_of_endpoints_interleaved_render_every_series(tmp_path: Path) -> None:
    """A run in progress: probe events of several endpoints, interleaved, between scrapes; each scrape shows
    every count, token and latency bucket as they are (only the endpoints with new events are formatted again)."""
    metrics = Metrics()
    events_seen = [("a", "ok", 0.02), ("b", "ok", 0.3), ("a", "timeout", None), ("c", "server_error", None),
                   ("b", "ok", 7.0), ("a", "ok", 0.04)]
    for i, (endpoint, outcome, latency) in enumerate(events_seen):
        metrics.on_event(events.Event(events.SAMPLE_DONE, endpoint, "r", outcome=outcome, latency_s=latency,
                                      tokens_in=3 * i, tokens_out=i, cost_usd=0.5 * i))
        body = metrics.exposition()
        assert _same_text(body, generate_latest(metrics.registry)), body.decode()
    text = metrics.exposition().decode()
    assert 'trust_probe_requests_total{endpoint="a",outcome="ok"} 2.0\n' in text
    assert 'trust_probe_latency_seconds_bucket{endpoint="b",le="10.0"} 2.0\n' in text
    assert 'trust_probe_latency_seconds_count{endpoint="b"} 2.0\n' in text
    assert 'trust_endpoint_up{endpoint="c"} 0.0\n' in text
    assert 'trust_tokens_total{endpoint="b",kind="input"} 15.0\n' in text  # 3 + 12
    # a change from outside (not an event) shows once said
    metrics.endpoint_up.labels("a").set(0)
    metrics.changed()
    assert 'trust_endpoint_up{endpoint="a"} 0.0\n' in metrics.exposition().decode()
    assert not _same_text(b"# HELP x y\n# TYPE x gauge\nx 1.0\n", b"# HELP x y\n# TYPE x gauge\nx 2.0\n")
    head = b"# HELP h y\n# TYPE h histogram\n"
    a1, a2, b1 = b'h_bucket{e="a",le="1.0"} 1.0\n', b'h_count{e="a"} 1.0\n', b'h_bucket{e="b",le="1.0"} 1.0\n'
    assert _same_text(head + b1 + a1 + a2, head + a1 + a2 + b1)
    assert not _same_text(head + a1 + b1 + a2, head + a1 + a2 + b1)  # a's series split


def _publish_all(metrics: Metrics, store: Store, config: Config) -> None:
    Publisher(config, store, metrics, all_tasks(), lambda _: list(all_tasks())).restore()


def test_exposition_is_what_generate_latest_gives_and_follows_publications(tmp_path: Path) -> None:
    from monitor.store import TaskScoreRecord

    store = Store(f"sqlite:///{tmp_path}/m.db")
    try:
        config = Config.model_validate({"endpoints": [
            {"name": n, "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"} for n in ("a", "b")]})
        metrics = Metrics()
        tasks = list(all_tasks())
        for n in ("a", "b"):
            metrics.init_endpoint(n, slo={"safety": 0.9}, schedule_interval=60.0)
        assert _same_text(metrics.exposition(), generate_latest(metrics.registry))
        for score in (0.5, 0.75):  # a second publication changes the cached score families
            run = store.create_run("a", "schedule", tasks, "v", "default")
            store.save_task_scores(run.id, [TaskScoreRecord(t, score, score - 0.1, score + 0.1, 50, 0, 0)
                                            for t in tasks])
            store.finish_run(run.id, RunStatus.SUCCEEDED)
            _publish_all(metrics, store, config)
            metrics.on_event(events.Event(events.SAMPLE_DONE, "a", run.id, outcome="ok", latency_s=0.2))
            body = metrics.exposition()
            assert _same_text(body, generate_latest(metrics.registry))
            series = 'trust_task_score{dimension="safety",endpoint="a",subdimension="jailbreaking",task="S.4"}'
            assert f"{series} {score}\n" in body.decode()
    finally:
        store.close()


# -- the published-score families: rendered by the publication, exactly as prometheus_client renders them ------

_LABEL_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # any text but surrogates
_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", 'c"\\\n']), _LABEL_TEXT, _LABEL_TEXT, _VALUES), max_size=8),
       st.lists(st.sampled_from(["a", "b", 'c"\\\n']), max_size=4))
def test_published_family_renders_what_a_prometheus_gauge_renders(
        series: list[tuple[str, str, str, float]], cleared: list[str]) -> None:
    """Any label text (quotes, backslashes, newlines, non-ASCII), any value (NaN, ±Inf, large integers): the
    family's own rendering and its collect() give byte for byte what a prometheus_client Gauge holding the same
    series gives; publishing an endpoint again replaces its series, an empty publication removes them."""
    registry = CollectorRegistry()
    family = _Published("trust_x", 'Help with \\ and\nnewline "quoted".', ("endpoint", "dimension", "task"),
                        registry=registry)
    reference_registry = CollectorRegistry()
    reference = Gauge("trust_x", 'Help with \\ and\nnewline "quoted".', ("endpoint", "dimension", "task"),
                      registry=reference_registry)
    by_endpoint: dict[str, dict[tuple[str, ...], float]] = {}
    for endpoint, dimension, task, value in series:
        by_endpoint.setdefault(endpoint, {})[(endpoint, dimension, task)] = value
    for endpoint in cleared:
        by_endpoint.pop(endpoint, None)
    for endpoint, values in by_endpoint.items():
        family.set(endpoint, {("stale", "x", "y") if endpoint == "a" else (endpoint, "old", "old"): 1.0})
        family.set(endpoint, values)  # the second publication replaces the first
        for labels, value in values.items():
            reference.labels(*labels).set(value)
    for endpoint in cleared:
        family.set(endpoint, {(endpoint, "gone", "gone"): 2.0})
        family.set(endpoint, {})
    expected = generate_latest(reference_registry)
    assert generate_latest(_OnlyFamily(family)) == expected
    assert family.render() == expected
    # the order of series may differ from a Gauge's after republications; the text never does
    for labels, value in ((labels, v) for values in by_endpoint.values() for labels, v in values.items()):
        got = registry.get_sample_value("trust_x", dict(zip(("endpoint", "dimension", "task"), labels, strict=True)))
        assert got == value or (math.isnan(value) and got is not None and math.isnan(got))


class _OnlyFamily:
    def __init__(self, family: _Published) -> None:
        self._family = family

    def collect(self) -> Any:
        return self._family.collect()


def test_a_publication_replaces_only_its_own_endpoints_series() -> None:
    metrics = Metrics()
    metrics.overall_score.set("a", {("a",): 0.5})
    metrics.overall_score.set("b", {("b",): 0.25})
    metrics.task_score.set("a", {("a", "safety", "jailbreaking", "S.4"): 1.0,
                                 ("a", "safety", "jailbreaking", "S.5"): 0.5})
    body = metrics.exposition()
    assert _same_text(body, generate_latest(metrics.registry))
    metrics.task_score.set("a", {("a", "safety", "jailbreaking", "S.5"): 0.75})  # S.4 no longer published
    metrics.overall_score.set("b", {})  # b's overall score aged out
    text = metrics.exposition().decode()
    assert _same_text(metrics.exposition(), generate_latest(metrics.registry))
    assert 'task="S.4"' not in text
    assert 'trust_task_score{dimension="safety",endpoint="a",subdimension="jailbreaking",task="S.5"} 0.75\n' in text
    assert 'trust_overall_score{endpoint="a"} 0.5\n' in text and 'endpoint="b"' not in text
    # every family is exported even when empty (HELP/TYPE), as prometheus_client exports a labelled gauge
    assert "# TYPE trust_dimension_regression gauge\n" in text


def _run(store: Store, endpoint: str, status: RunStatus, model: str) -> str:
    run = store.create_run(endpoint, "schedule", ["S.4"], "v", "default")
    if model:
        store.mark_running(run.id, model=model, model_version="1", model_fingerprint="fp-" + model, total_items=1)
    store.finish_run(run.id, status)
    return run.id


@pytest.mark.parametrize("newest", ["succeeded identified", "failed unidentified", "succeeded unidentified",
                                    "failed identified"])
def test_restore_takes_model_and_last_run_from_the_right_runs(tmp_path: Path, newest: str) -> None:
    """The newest run answers both questions when it succeeded and recorded its model; otherwise each comes
    from the newest run that has it."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    try:
        older = _run(store, "a", RunStatus.SUCCEEDED, "old-model")
        status = RunStatus.SUCCEEDED if newest.startswith("succeeded") else RunStatus.FAILED
        latest = _run(store, "a", status, "new-model" if newest.endswith(" identified") else "")
        config = Config.model_validate({"endpoints": [
            {"name": "a", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}]})
        metrics = Metrics()
        Publisher(config, store, metrics, all_tasks(), lambda _: ["S.4"]).restore()
        last_ok = store.get_run(latest if status is RunStatus.SUCCEEDED else older)
        assert last_ok is not None and last_ok.finished_at is not None
        assert _value(metrics, "trust_last_run_timestamp_seconds", endpoint="a") == last_ok.finished_at.timestamp()
        model = "new-model" if newest.endswith(" identified") else "old-model"
        assert _value(metrics, "trust_model_info", endpoint="a", model=model, version="1",
                      fingerprint="fp-" + model) == 1
        assert _same_text(metrics.exposition(), generate_latest(metrics.registry))
    finally:
        store.close()
