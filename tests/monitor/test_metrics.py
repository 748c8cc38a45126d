"""What the SLO, schedule, last-run and endpoint-up series say, fed the way the service feeds them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor import events
from monitor.config import Config
from monitor.metrics import Metrics
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


def _publish_all(metrics: Metrics, store: Store, config: Config) -> None:
    Publisher(config, store, metrics, all_tasks(), lambda _: list(all_tasks())).restore()


def test_exposition_is_what_generate_latest_gives_and_follows_publications(tmp_path: Path) -> None:
    from prometheus_client import generate_latest

    from monitor.store import TaskScoreRecord

    store = Store(f"sqlite:///{tmp_path}/m.db")
    try:
        config = Config.model_validate({"endpoints": [
            {"name": n, "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"} for n in ("a", "b")]})
        metrics = Metrics()
        tasks = list(all_tasks())
        for n in ("a", "b"):
            metrics.init_endpoint(n, slo={"safety": 0.9}, schedule_interval=60.0)
        assert metrics.exposition() == generate_latest(metrics.registry)
        for score in (0.5, 0.75):  # a second publication changes the cached score families
            run = store.create_run("a", "schedule", tasks, "v", "default")
            store.save_task_scores(run.id, [TaskScoreRecord(t, score, score - 0.1, score + 0.1, 50, 0, 0)
                                            for t in tasks])
            store.finish_run(run.id, RunStatus.SUCCEEDED)
            _publish_all(metrics, store, config)
            metrics.on_event(events.Event(events.SAMPLE_DONE, "a", run.id, outcome="ok", latency_s=0.2))
            body = metrics.exposition()
            assert body == generate_latest(metrics.registry)
            series = 'trust_task_score{dimension="safety",endpoint="a",subdimension="jailbreaking",task="S.4"}'
            assert f"{series} {score}\n" in body.decode()
    finally:
        store.close()
