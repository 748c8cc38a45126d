"""Distributed runs in one process: an API replica and workers as separate Services (each with its own engine
connection, bus and metrics) on a real PostgreSQL, probing a local OpenAI-wire-format endpoint whose answers wait
behind a gate, so runs stay queued or running as long as a test needs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web

from monitor.config import Config
from monitor.runs import RunError
from monitor.service import Service
from monitor.store import RunStatus, Store
from tests.monitor.api.served import MODEL, GatedEndpoint, free_port
from tests.pg_server import PG_PASSWORD, pg_cluster, reset_pg
from tests.vendor_server import serving

PW_ENV = "TM_TEST_PG_PASSWORD"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture
def db(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    reset_pg(pg_url)
    monkeypatch.setenv(PW_ENV, PG_PASSWORD)
    return pg_url


def _config(url: str, base_url: str, **distributed: Any) -> Config:
    return Config.model_validate({
        "mode": "distributed",
        "distributed": {"shard_size": 2, "endpoint_shards": 2, "stalled_after": "2s", "poll_interval": "0.1s",
                        **distributed},
        "store": {"url": url, "password": {"env": PW_ENV}},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"tasks": ["T.1"], "max_samples_per_task": 3, "min_scored_samples": 1},
        "endpoints": [{"name": "demo", "kind": "openai", "base_url": base_url, "model": MODEL, "concurrency": 2,
                       "timeout": "60s", "max_tokens": 16, "retries": {"max_attempts": 1}}],
    })


@asynccontextmanager
async def cluster(url: str, endpoint: GatedEndpoint, workers: int = 1) -> AsyncIterator[list[Service]]:
    """[api, worker, worker, …]: Services of their roles, started in order (the first creates the schema)."""
    services: list[Service] = []
    async with serving(endpoint.app()) as port:
        endpoint.port = port
        try:
            for role in ["api"] + ["worker"] * workers:
                service = Service(_config(url, endpoint.base_url), role)
                services.append(service)
                await service.start()
            yield services
        finally:
            endpoint.gate.set()
            for service in reversed(services):
                await service.stop()


async def until(check: Callable[[], bool], within: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


def _running(store: Store) -> list[str]:
    return [r.id for r in store.list_runs("demo", 10, [RunStatus.RUNNING])]


async def test_a_run_waits_for_the_endpoint_and_a_cancel_stops_its_shards(db: str) -> None:
    endpoint = GatedEndpoint()
    async with cluster(db, endpoint) as (api, _worker):
        store = api.store
        first = api.runs.start("demo", None, "api")
        await until(lambda: _running(store) == [first.id], what="the first run running")
        second = api.runs.start("demo", None, "api")
        await asyncio.sleep(1.5)  # its start job finds the endpoint busy, and is tried again
        assert store.get_run(second.id).status is RunStatus.QUEUED  # type: ignore[union-attr]
        assert api.runs.queued_behind(second.id).startswith(f"queued behind run {first.id}")
        assert api.runs.busy("demo")

        cancelled = api.runs.cancel(first.id)
        assert cancelled.status is RunStatus.CANCELLED
        with pytest.raises(RunError, match="already finished"):
            api.runs.cancel(first.id)
        endpoint.gate.set()
        await asyncio.wait_for(api.runs.wait(second.id), 60)
        done = store.get_run(second.id)
        assert done is not None and done.status is RunStatus.SUCCEEDED, done
        assert done.done_items == done.total_items == len(store.results(second.id)) > 0
        assert store.get_run(first.id).status is RunStatus.CANCELLED  # type: ignore[union-attr]
        assert len(store.task_scores(second.id)) == 1 and not store.task_scores(first.id)


async def test_a_stopping_worker_hands_its_shards_to_another(db: str) -> None:
    endpoint = GatedEndpoint()
    async with cluster(db, endpoint, workers=2) as (api, one, two):
        record = api.runs.start("demo", None, "api")
        await until(lambda: endpoint.requests > 0, what="requests in flight")
        with sa.create_engine(sa.make_url(db).set(password=PG_PASSWORD)).connect() as conn:
            holders = {w for (w,) in conn.execute(sa.text(
                "SELECT worker FROM run_shards WHERE run_id = :r AND worker <> ''"), {"r": record.id})}
        assert holders
        assert one.node is not None and one.node.jobs is not None
        stopping = one if one.node.jobs.name in holders else two
        await stopping.stop()  # as on SIGTERM: its shards are aborted after a second and go back to the queue
        endpoint.gate.set()
        await asyncio.wait_for(api.runs.wait(record.id), 60)
        done = api.store.get_run(record.id)
        assert done is not None and done.status is RunStatus.SUCCEEDED, done
        keys = [(r.task, r.variant, r.sample_id) for r in api.store.results(record.id)]
        assert len(keys) == len(set(keys)) == done.total_items == done.done_items
        assert all(done_ for *_, done_ in api.store.shards(record.id))


async def test_the_api_replica_follows_progress_and_publishes_scores(db: str) -> None:
    endpoint = GatedEndpoint()
    endpoint.gate.set()
    async with cluster(db, endpoint) as (api, worker):
        record = api.runs.start("demo", ["S.4"], "api")  # a refusal scores there
        kinds: list[str] = []
        with api.bus.watch(record.id) as watch:
            async for event in watch:
                kinds.append(event.kind)
        assert kinds[-1] == "finished" and "started" in kinds
        text = api.metrics.exposition().decode()
        assert 'trust_task_score{' in text and 'endpoint="demo"' in text
        # requests and runs are counted where they were done: the worker, once
        worker_text = worker.metrics.exposition().decode()
        assert 'trust_runs_total{endpoint="demo",status="succeeded",trigger="api"} 1.0' in worker_text
        assert "trust_runs_total{" not in text


async def test_a_run_left_queued_without_its_start_job_is_started(db: str) -> None:
    endpoint = GatedEndpoint()
    endpoint.gate.set()
    async with cluster(db, endpoint) as (api, _worker):
        assert api.node is not None and api.node.follower is not None
        api.node.follower.requeue_after = timedelta(seconds=0.5)
        # what a replica that died between storing a run and queueing its start leaves behind
        lost = api.store.create_run("demo", "api", ["T.1"], api.runs.suite_version, api.runs.profile)
        await asyncio.wait_for(api.runs.wait(lost.id), 60)
        done = api.store.get_run(lost.id)
        assert done is not None and done.status is RunStatus.SUCCEEDED and done.done_items == done.total_items > 0


class UpdatedEndpoint(GatedEndpoint):
    """Describes its model with a ``created`` time the test changes: a model update behind the same name."""

    def __init__(self) -> None:
        super().__init__()
        self.created = 1700000000

    async def _model(self, request: web.Request) -> web.Response:
        return web.json_response({"id": MODEL, "object": "model", "created": self.created, "owned_by": "tests"})


async def test_a_model_check_job_starts_a_run_for_a_new_model(db: str) -> None:
    endpoint = UpdatedEndpoint()
    endpoint.gate.set()
    async with cluster(db, endpoint) as (api, worker):
        first = api.runs.start("demo", None, "api")
        await asyncio.wait_for(api.runs.wait(first.id), 60)
        assert worker.node is not None and worker.node.jobs is not None
        jobs = worker.node.jobs
        await jobs.check_model("demo", 1)  # the same model: nothing happens
        assert [r.id for r in api.store.list_runs("demo")] == [first.id]
        endpoint.created = 1800000000  # version 2 rolled out
        await jobs.check_model("demo", 2)
        runs = api.store.list_runs("demo")
        assert len(runs) == 2 and runs[0].trigger == "model_change"
        await asyncio.wait_for(api.runs.wait(runs[0].id), 60)
        done = api.store.get_run(runs[0].id)
        assert done is not None and done.status is RunStatus.SUCCEEDED and done.model_version == "1800000000"
        assert [e.kind for e in api.store.events("demo") if e.kind == "model_changed"] == ["model_changed"]
        await jobs.check_model("demo", 3)  # another worker's later check compares with the store: no change
        assert len(api.store.list_runs("demo")) == 2
