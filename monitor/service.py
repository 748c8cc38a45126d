"""Wires the parts together: store → adapters → run manager → scheduler, gRPC API, metrics and HTTP."""

from __future__ import annotations

import asyncio
import logging

from monitor import events
from monitor.adapters import Adapter, create_adapter
from monitor.aggregation import Aggregate, aggregate
from monitor.api.server import GrpcServer
from monitor.config import Config
from monitor.http import HttpServer
from monitor.metrics import Metrics
from monitor.published import Publisher
from monitor.recovery import Recovery
from monitor.regression.monitor import JUDGED, RegressionMonitor
from monitor.runs import RunManager
from monitor.scheduler import Scheduler, nominal_interval
from monitor.store import Store
from monitor.store.retention import Retention
from monitor.tokens import TokenSet
from monitor.tracing import setup_tracing, shutdown_tracing
from monitor.web.room import WebRoom
from monitor.web.sources import Sources

log = logging.getLogger(__name__)


class Service:
    """One monitor process. ``start`` brings everything up; ``stop`` takes it down without losing stored work."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.bus = events.EventBus()
        self.metrics = Metrics()
        self.store: Store
        self.runs: RunManager
        self.regression: RegressionMonitor
        self.publisher: Publisher
        self.adapters: dict[str, Adapter] = {}
        self.grpc: GrpcServer | None = None
        self.http: HttpServer | None = None
        self.web = WebRoom(config)
        self.scheduler: Scheduler | None = None
        self.retention = Retention(config)  # store.retention: prunes old per-sample rows (docs/store.md)
        self._ready = False
        self._why_not_ready = "starting"

    # -- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        setup_tracing()
        cfg = self.config
        auth = cfg.server.auth
        tokens = TokenSet([t.reveal() for t in auth.tokens], auth.token_hashes)
        self.http = HttpServer(self.metrics, lambda: (self._ready, "ready" if self._ready else self._why_not_ready),
                               mounts=[self.web.mount], metrics_tokens=tokens if auth.protect_metrics else None)
        await self.http.start(cfg.server.http_listen)
        self.grpc = GrpcServer(self, tokens, cfg.server.tls)
        self.grpc.bind(cfg.server.grpc_listen)  # a busy port ends start-up here, before the store is touched
        password = cfg.store.password.reveal() if cfg.store.password else None
        self.store = await asyncio.to_thread(Store, cfg.store.url, password=password)
        interrupted = await asyncio.to_thread(self.store.mark_interrupted)
        if interrupted:
            log.warning("%d run(s) left unfinished by an earlier process were marked interrupted", interrupted)
        self.retention.start(self.store)
        self.adapters = {ep.name: create_adapter(ep) for ep in cfg.endpoints}
        self.runs = RunManager(cfg, self.store, self.bus, self.adapters)
        self.regression = RegressionMonitor(cfg, self.store, self.runs.catalogue, self.scope, self.bus)
        self.publisher = Publisher(cfg, self.store, self.metrics, self.runs.catalogue, self.scope)
        # when a run finishes: verdicts first, then what is published, then everyone hears of it
        self.bus.process(events.RUN_FINISHED, self.regression.on_finished)
        self.bus.process(events.RUN_FINISHED, self.publisher.on_finished)
        self.bus.subscribe(self.metrics.on_event)
        self.runs.runner.on_limit = self.metrics.set_concurrency
        self.bus.subscribe(self._on_event)
        self.metrics.set_suite(self.runs.suite_version)
        for ep in cfg.endpoints:
            self.metrics.init_endpoint(ep.name, slo=cfg.slo_of(ep), schedule_interval=nominal_interval(ep.schedule))
            self.runs.runner.limit_of(ep)  # exports trust_endpoint_concurrency from the start
        await asyncio.to_thread(self.publisher.restore)
        self.web.attach(Sources(cfg, self.store, self.runs.catalogue, self.runs.suite_version, self.scope,
                                self.regression))
        self.publisher.start()
        await self.grpc.start(cfg.server.grpc_listen)
        await Recovery(cfg, self.store, self.runs).resume_interrupted()  # before anything new takes the endpoints
        self.scheduler = Scheduler(cfg, self.runs)
        self.scheduler.start()
        self._ready = True
        for ep in cfg.endpoints:
            if ep.schedule is not None and ep.schedule.run_on_start:
                self.runs.start(ep.name, None, "startup")

    async def stop(self) -> None:
        self._ready = False
        self._why_not_ready = "stopping"
        if self.scheduler is not None:
            self.scheduler.stop()
        if hasattr(self, "publisher"):
            await self.publisher.stop()
        if self.grpc is not None:
            await self.grpc.stop()
        if hasattr(self, "runs"):
            await self.runs.shutdown()
        for adapter in self.adapters.values():
            try:
                await adapter.close()
            except Exception:
                log.exception("closing adapter %s failed", adapter.endpoint)
        if self.http is not None:
            await self.http.stop()
        await self.retention.stop()
        if hasattr(self, "store"):
            await asyncio.to_thread(self.store.close)
        shutdown_tracing()

    # -- scores -----------------------------------------------------------------------------------------
    def scope(self, endpoint: str) -> list[str]:
        """The tasks an endpoint runs: what a complete set of a group's tasks means for it."""
        config = self.config.endpoint(endpoint)
        if config is None:
            return list(self.runs.catalogue)
        return self.runs.resolve_tasks(config, None)

    def aggregate_run(self, run_id: str, endpoint: str) -> Aggregate:
        return aggregate(self.runs.catalogue, self.store.task_scores(run_id), self.scope(endpoint))

    def set_baseline(self, endpoint: str, run_id: str) -> None:
        """Pin the endpoint's reference, judge its newest run against it again, and publish that."""
        self.store.set_baseline(endpoint, run_id)
        latest = self.store.list_runs(endpoint, 1, statuses=JUDGED)
        if latest and self.config.regression.enabled:
            self.regression.analyse(latest[0].id)
        self.publisher.publish(endpoint)

    def _on_event(self, event: events.Event) -> None:
        if event.kind in (events.MODEL_CHANGED, events.RUN_STARTED):
            ident = self.runs.identities.get(event.endpoint)
            if ident is not None:
                self.metrics.set_model(event.endpoint, ident)


async def serve(config: Config, *, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM when run from the CLI)."""
    service = Service(config)
    try:
        await service.start()
        assert service.grpc is not None and service.http is not None
        log.info("gRPC listening on %s; metrics on http://%s/metrics", config.server.grpc_listen,
                 config.server.http_listen)
        await (stop or asyncio.Event()).wait()
    finally:
        await service.stop()
