"""The gRPC server: trust_monitor.v1.TrustMonitor, grpc.health.v1.Health and server reflection."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from monitor.api.stubs import load
from monitor.runs import RunError
from monitor.store import RunRecord, RunStatus

if TYPE_CHECKING:
    from monitor.service import Service

pb2, pb2_grpc = load()
log = logging.getLogger(__name__)

SERVICE_NAME = "trust_monitor.v1.TrustMonitor"
_CODES = {
    "not_found": grpc.StatusCode.NOT_FOUND,
    "invalid_argument": grpc.StatusCode.INVALID_ARGUMENT,
    "failed_precondition": grpc.StatusCode.FAILED_PRECONDITION,
    "resource_exhausted": grpc.StatusCode.RESOURCE_EXHAUSTED,
}
_STATUS = {s: getattr(pb2, f"RUN_STATUS_{s.name}") for s in RunStatus}


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def run_message(r: RunRecord) -> Any:
    return pb2.Run(
        id=r.id, endpoint=r.endpoint, trigger=r.trigger, status=_STATUS[r.status], tasks=r.tasks,
        suite_version=r.suite_version, profile=r.profile, created_at=_ts(r.created_at),
        started_at=_ts(r.started_at), finished_at=_ts(r.finished_at),
        model=pb2.ModelIdentity(model=r.model, version=r.model_version, fingerprint=r.model_fingerprint),
        total_items=r.total_items, done_items=r.done_items, error_items=r.error_items, message=r.message,
    )


class TrustMonitorServicer(pb2_grpc.TrustMonitorServicer):  # type: ignore[misc,name-defined]
    def __init__(self, service: Service) -> None:
        self.svc = service

    async def ListEndpoints(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        from monitor.scheduler import describe

        runs = self.svc.runs
        out = []
        for ep in self.svc.config.endpoints:
            ident = runs.identities.get(ep.name)
            if ident is None:
                last = await asyncio.to_thread(runs.store.list_runs, ep.name, 1)
                model = pb2.ModelIdentity(model=last[0].model, version=last[0].model_version,
                                          fingerprint=last[0].model_fingerprint) if last else pb2.ModelIdentity()
            else:
                model = pb2.ModelIdentity(model=ident.model, version=ident.version, fingerprint=ident.fingerprint)
            tasks = runs.resolve_tasks(ep, None)
            out.append(pb2.Endpoint(name=ep.name, kind=ep.kind, schedule=describe(ep.schedule), tasks=tasks,
                                    model=model, busy=runs.busy(ep.name)))
        return pb2.ListEndpointsResponse(endpoints=out)

    async def ListTasks(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        runs = self.svc.runs
        tasks = [
            pb2.Task(id=t.id, name=t.name, dimension=t.dimension.value, subdimension=t.subdimension,
                     modality=t.modality.value, variants=list(t.variants), sample_count=len(t.samples),
                     scorer=t.scorer)
            for t in runs.catalogue.values()
        ]
        return pb2.ListTasksResponse(tasks=tasks, suite_version=runs.suite_version)

    async def StartRun(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if not request.endpoint:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "endpoint is required")
        try:
            record = self.svc.runs.start(request.endpoint, list(request.tasks) or None, "api")
        except RunError as exc:
            await context.abort(_CODES[exc.code], exc.message)
        return run_message(record)

    async def _get(self, run_id: str, context: grpc.aio.ServicerContext) -> RunRecord:
        if not run_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "run_id is required")
        record = await asyncio.to_thread(self.svc.store.get_run, run_id)
        if record is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown run {run_id!r}")
        assert record is not None
        return record

    async def WatchRun(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        record = await self._get(request.run_id, context)
        with self.svc.bus.watch(record.id) as watch:
            record = await self._get(request.run_id, context)  # re-read after subscribing: no gap
            yield pb2.RunEvent(run_id=record.id, kind="state", status=_STATUS[record.status],
                               total_items=record.total_items, done_items=record.done_items,
                               error_items=record.error_items, message=record.message, at=_ts(record.created_at))
            if record.status.finished:
                return
            async for ev in watch:
                status = RunStatus(ev.status) if ev.status else RunStatus.RUNNING
                yield pb2.RunEvent(run_id=record.id, kind=ev.kind, status=_STATUS[status], total_items=ev.total,
                                   done_items=ev.done, error_items=ev.errors, task=ev.task, message=ev.message,
                                   at=_ts(ev.at))

    async def GetRun(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return run_message(await self._get(request.run_id, context))

    async def ListRuns(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if request.endpoint and self.svc.config.endpoint(request.endpoint) is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown endpoint {request.endpoint!r}")
        if request.limit < 0 or request.limit > 500:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "limit must be between 0 and 500")
        records = await asyncio.to_thread(self.svc.store.list_runs, request.endpoint or None, request.limit or 20)
        return pb2.ListRunsResponse(runs=[run_message(r) for r in records])

    async def CancelRun(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await self._get(request.run_id, context)
        try:
            record = self.svc.runs.cancel(request.run_id)
        except RunError as exc:
            await context.abort(_CODES[exc.code], exc.message)
        await self.svc.runs.wait(record.id)
        return run_message(await self._get(request.run_id, context))

    async def GetScores(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        store = self.svc.store
        if request.run_id:
            record = await self._get(request.run_id, context)
            if request.endpoint and record.endpoint != request.endpoint:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                    f"run {record.id} belongs to endpoint {record.endpoint!r}")
        else:
            if not request.endpoint:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "give an endpoint or a run_id")
            if self.svc.config.endpoint(request.endpoint) is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown endpoint {request.endpoint!r}")
            latest = await asyncio.to_thread(store.latest_scored_run, request.endpoint)
            if latest is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"endpoint {request.endpoint!r} has no scored run yet")
            assert latest is not None
            record = latest
        agg = await asyncio.to_thread(self.svc.aggregate_run, record.id)
        catalogue = self.svc.runs.catalogue
        tasks = []
        for tid, rec in agg.tasks.items():
            task = catalogue.get(tid)
            tasks.append(pb2.TaskScore(
                task=tid, dimension=task.dimension.value if task else "",
                subdimension=task.subdimension if task else "",
                has_score=rec.score is not None, score=rec.score or 0.0,
                ci95=pb2.Interval(low=rec.ci_low or 0.0, high=rec.ci_high or 0.0),
                scored=rec.n_scored, errors=rec.n_errors, unscorable=rec.n_unscorable))
        return pb2.Scores(
            run_id=record.id, endpoint=record.endpoint, tasks=tasks,
            subdimensions=[pb2.GroupScore(name=s, dimension=agg.subdimension_of[s], score=v)
                           for s, v in agg.subdimensions.items()],
            dimensions=[pb2.GroupScore(name=d, score=v) for d, v in agg.dimensions.items()],
            has_overall=agg.overall is not None, overall=agg.overall or 0.0,
        )

    async def SetBaseline(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if self.svc.config.endpoint(request.endpoint) is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown endpoint {request.endpoint!r}")
        await self._get(request.run_id, context)
        try:
            await asyncio.to_thread(self.svc.set_baseline, request.endpoint, request.run_id)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return pb2.Baseline(endpoint=request.endpoint, run_id=request.run_id)


class TokenAuth(grpc.aio.ServerInterceptor):
    """Bearer tokens in the ``authorization`` metadata; health checks and reflection stay open."""

    OPEN = ("/grpc.health.v1.Health/", "/grpc.reflection.")

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = [t.encode() for t in tokens]

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        method = details.method or ""
        if handler is None or not self._tokens or method.startswith(self.OPEN):
            return handler
        presented = b""
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                raw = value.encode() if isinstance(value, str) else value
                presented = raw.removeprefix(b"Bearer ").strip()
        if presented and any(hmac.compare_digest(presented, t) for t in self._tokens):
            return handler
        reason = "invalid token" if presented else "missing 'authorization: Bearer <token>' metadata"

        async def deny(_request: Any, context: grpc.aio.ServicerContext) -> Any:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, reason)

        async def deny_stream(_request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, reason)
            yield None  # pragma: no cover

        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(deny_stream, handler.request_deserializer,
                                                        handler.response_serializer)
        return grpc.unary_unary_rpc_method_handler(deny, handler.request_deserializer, handler.response_serializer)


class GrpcServer:
    def __init__(self, service: Service, tokens: list[str]) -> None:
        interceptors = [TokenAuth(tokens)] if tokens else []
        self.server = grpc.aio.server(interceptors=interceptors)
        pb2_grpc.add_TrustMonitorServicer_to_server(TrustMonitorServicer(service), self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(names, self.server)
        self.port = 0

    async def start(self, address: str) -> None:
        self.port = self.server.add_insecure_port(address)
        if self.port == 0:
            raise OSError(f"cannot listen on {address} for gRPC")
        await self.server.start()
        for name in ("", SERVICE_NAME):
            await _maybe_await(self.health.set(name, health_pb2.HealthCheckResponse.SERVING))

    async def stop(self, grace: float = 5.0) -> None:
        for name in ("", SERVICE_NAME):
            await _maybe_await(self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING))
        await self.server.stop(grace)


async def _maybe_await(value: Any) -> None:
    if asyncio.iscoroutine(value):
        await value
