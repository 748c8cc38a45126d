"""One process of a distributed deployment: an API replica, a worker, or both (``serve --role``).

An API replica serves gRPC/HTTP, defers ticks (:class:`~monitor.distributed.replica.Ticker`) and follows runs
(:class:`~monitor.distributed.replica.Follower`); a worker runs the engine's worker over both queues with its own
run manager and bus, so its request and run metrics are counted once, where the work was done. Both sweep stalled
jobs. Nothing here marks runs interrupted at start-up: other processes are running them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from monitor import events
from monitor.distributed import engine
from monitor.distributed.jobs import Jobs
from monitor.distributed.replica import Follower, QueuedRuns, Ticker
from monitor.distributed.stalled import StalledJobs
from monitor.regression.monitor import RegressionMonitor
from monitor.runs import RunManager

if TYPE_CHECKING:
    from monitor.service import Service

log = logging.getLogger(__name__)

ROLES = ("api", "worker", "all")
SHUTDOWN_GRACE_S = 1.0  # a stopping worker's shards are put back in the queue after this; nothing stored is lost
# A new job wakes the workers (LISTEN/NOTIFY), but a lock released by a finished shard does not: the next shard of
# that endpoint slot waits for a worker's next look at the queue. One cheap query per worker this often; at 1 s a
# full-suite run over 3 workers lost ≈ 0.5 s per shard (bench/distributed.py, docs/design/scale-out.md).
FETCH_INTERVAL_S = 0.2


class Node:
    def __init__(self, service: Service, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self.svc = service
        self.role = role
        self.api = role in ("api", "all")
        self.worker = role in ("worker", "all")
        self.app: Any = None
        self.jobs: Jobs | None = None
        self.ticker: Ticker | None = None
        self.follower: Follower | None = None
        self.stalled: StalledJobs | None = None
        self.worker_bus = events.EventBus() if role == "all" else service.bus
        self._worker_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        svc, cfg = self.svc, self.svc.config
        await svc.open_front(api=self.api)
        await svc.open_store()
        await engine.ensure_schema(cfg)
        self.app = engine.create_app(cfg, pool_size=4 + (cfg.distributed.worker_concurrency if self.worker else 0))
        await self.app.open_async()
        if self.api:
            runs: RunManager = QueuedRuns(cfg, svc.store, svc.bus, svc.adapters)
            svc.runs = runs
            svc.regression = RegressionMonitor(cfg, svc.store, runs.catalogue, svc.scope, svc.bus)
            svc.retention.start(svc.store)
        if self.worker:
            # the worker's own run manager and bus: its requests, runs and verdicts are told once, here
            work = RunManager(cfg, svc.store, self.worker_bus, svc.adapters)
            regression = RegressionMonitor(cfg, svc.store, work.catalogue, svc.scope, self.worker_bus)
            if not self.api:
                svc.runs, svc.regression = work, regression
            self.worker_bus.process(events.RUN_FINISHED, regression.on_finished)
            self.worker_bus.subscribe(svc.metrics.on_event)
            self.jobs = Jobs(cfg, svc.store, work, self.worker_bus, self.app)
        else:
            self.jobs = Jobs(cfg, svc.store, svc.runs, svc.bus, self.app)  # to defer jobs; none run here
        if self.api:
            assert isinstance(svc.runs, QueuedRuns)
            svc.runs.jobs = self.jobs
            await svc.open_api()
            self.follower = Follower(cfg, svc.store, svc.bus, svc.runs.identities, self.jobs)
            self.follower.start()
            self.ticker = Ticker(cfg, self.jobs)
            self.ticker.start()
        if self.worker:
            self._worker_task = asyncio.get_running_loop().create_task(self._run_worker(), name="engine-worker")
        self.stalled = StalledJobs(self.app, cfg.distributed.stalled_after)
        self.stalled.start()
        log.info("distributed %s started (%s)", self.role, self.jobs.name)

    async def _run_worker(self) -> None:
        d = self.svc.config.distributed
        try:
            await self.app.run_worker_async(
                queues=list(engine.QUEUES), concurrency=d.worker_concurrency,
                name=self.jobs.name if self.jobs else None,
                install_signal_handlers=False, update_heartbeat_interval=d.stalled_after / 4,
                stalled_worker_timeout=d.stalled_after, shutdown_graceful_timeout=SHUTDOWN_GRACE_S,
                delete_jobs="successful", listen_notify=True, fetch_job_polling_interval=FETCH_INTERVAL_S,
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the engine's worker stopped")

    async def stop(self) -> None:
        for part in (self.ticker, self.follower, self.stalled):
            if part is not None:
                await part.stop()
        if self._worker_task is not None:
            self._worker_task.cancel()  # the engine aborts running shards after the grace; they are retried
            await asyncio.gather(self._worker_task, return_exceptions=True)
        if self.app is not None:
            try:
                await self.app.close_async()
            except Exception as exc:
                log.warning("closing the task engine: %s", type(exc).__name__)
