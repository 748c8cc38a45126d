"""The gRPC server: trust_monitor.v1.TrustMonitor, grpc.health.v1.Health and server reflection."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from monitor.api.limits import MAX_DETAIL, MAX_REQUEST_BYTES, clip, problem, quote
from monitor.api.stubs import load
from monitor.http import split_hostport
from monitor.regression.compare import CompareError, compare
from monitor.regression.monitor import settings_of
from monitor.runs import RunError
from monitor.store import RunRecord, RunStatus, VerdictRecord, run_verdict
from monitor.tokens import TokenSet

if TYPE_CHECKING:
    from monitor.config import ServerTLS
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


async def _abort(context: grpc.aio.ServicerContext, code: grpc.StatusCode, detail: str) -> NoReturn:
    """End the call with ``code``; the detail is clipped (it travels in a header of bounded size)."""
    await context.abort(code, clip(detail, MAX_DETAIL))
    raise AssertionError("unreachable")  # context.abort raises


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def run_message(r: RunRecord, verdicts: list[VerdictRecord] | None = None, *, with_verdicts: bool = True) -> Any:
    return pb2.Run(
        id=r.id, endpoint=r.endpoint, trigger=r.trigger, status=_STATUS[r.status], tasks=r.tasks,
        suite_version=r.suite_version, profile=r.profile, created_at=_ts(r.created_at),
        started_at=_ts(r.started_at), finished_at=_ts(r.finished_at),
        model=pb2.ModelIdentity(model=r.model, version=r.model_version, fingerprint=r.model_fingerprint),
        total_items=r.total_items, done_items=r.done_items, error_items=r.error_items, message=r.message,
        verdicts=[verdict_message(v, r.id) for v in verdicts or []] if with_verdicts else [],
        regression=run_verdict(verdicts or []),
    )


def verdict_message(v: VerdictRecord, run_id: str) -> Any:
    return pb2.Verdict(
        level=v.level, name=v.name, dimension=v.dimension, subdimension=v.subdimension, task=v.task,
        verdict=v.verdict.value, has_delta=v.delta is not None, delta=v.delta or 0.0,
        ci95=pb2.Interval(low=v.ci_low or 0.0, high=v.ci_high or 0.0), p_value=v.p_value or 0.0,
        adjusted_p=v.adjusted_p or 0.0, evidence=v.evidence or 0.0, paired=v.n_paired, window=v.window,
        reference_runs=v.reference, method=v.method, reason=v.reason, run_id=run_id,
    )


class TrustMonitorServicer(pb2_grpc.TrustMonitorServicer):  # type: ignore[misc,name-defined]
    def __init__(self, service: Service) -> None:
        self.svc = service
        self.watchers = 0  # WatchRun streams open now

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
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "endpoint is required")
        if self.svc.config.endpoint(request.endpoint) is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown endpoint {quote(request.endpoint)}")
        runs = self.svc.runs
        unknown = [t for t in dict.fromkeys(request.tasks) if t not in runs.catalogue and t not in runs.skipped]
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                         f"unknown task(s) {', '.join(quote(t) for t in unknown[:5])}{more}; "
                         f"known: {', '.join(runs.catalogue)}")
        try:
            record = self.svc.runs.start(request.endpoint, list(request.tasks) or None, "api")
        except RunError as exc:
            await _abort(context, _CODES[exc.code], exc.message)
        return run_message(record)

    async def _get(self, run_id: str, context: grpc.aio.ServicerContext) -> RunRecord:
        if not run_id:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "run_id is required")
        record = await asyncio.to_thread(self.svc.store.get_run, run_id)
        if record is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown run {quote(run_id)}")
        assert record is not None
        return record

    async def WatchRun(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        record = await self._get(request.run_id, context)
        self.watchers += 1
        try:
            async for event in self._watch(record, context):
                yield event
        finally:
            self.watchers -= 1

    async def _watch(self, record: RunRecord, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        with self.svc.bus.watch(record.id) as watch:
            record = await self._get(record.id, context)  # re-read after subscribing: no gap
            message = record.message
            if record.status is RunStatus.QUEUED:
                message = await asyncio.to_thread(self.svc.runs.queued_behind, record.id) or message
            yield pb2.RunEvent(run_id=record.id, kind="state", status=_STATUS[record.status],
                               total_items=record.total_items, done_items=record.done_items,
                               error_items=record.error_items, message=message, at=_ts(record.created_at))
            if record.status.finished:
                return
            async for ev in watch:
                status = RunStatus(ev.status) if ev.status else RunStatus.RUNNING
                yield pb2.RunEvent(run_id=record.id, kind=ev.kind, status=_STATUS[status], total_items=ev.total,
                                   done_items=ev.done, error_items=ev.errors, task=ev.task, message=ev.message,
                                   at=_ts(ev.at))

    async def GetRun(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        record = await self._get(request.run_id, context)
        return run_message(record, await asyncio.to_thread(self.svc.store.verdicts, record.id))

    async def ListRuns(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if request.endpoint and self.svc.config.endpoint(request.endpoint) is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown endpoint {quote(request.endpoint)}")
        if request.limit < 0 or request.limit > 500:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "limit must be between 0 and 500")
        records = await asyncio.to_thread(self.svc.store.list_runs, request.endpoint or None, request.limit or 20)
        verdicts = await asyncio.to_thread(self.svc.store.verdicts_of_runs, [r.id for r in records])
        return pb2.ListRunsResponse(runs=[run_message(r, verdicts[r.id], with_verdicts=False) for r in records])

    async def CancelRun(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await self._get(request.run_id, context)
        try:
            record = self.svc.runs.cancel(request.run_id)
        except RunError as exc:
            await _abort(context, _CODES[exc.code], exc.message)
        await self.svc.runs.wait(record.id)
        return run_message(await self._get(request.run_id, context))

    async def GetScores(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if request.run_id:
            record = await self._get(request.run_id, context)
            if request.endpoint and record.endpoint != request.endpoint:
                await _abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                                    f"run {record.id} belongs to endpoint {record.endpoint!r}")
            return await asyncio.to_thread(self._run_scores, record)
        if not request.endpoint:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "give an endpoint or a run_id")
        if self.svc.config.endpoint(request.endpoint) is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown endpoint {quote(request.endpoint)}")
        view = await asyncio.to_thread(self.svc.publisher.view, request.endpoint)
        if not view.tasks and not view.verdicts:
            await _abort(context, grpc.StatusCode.NOT_FOUND,
                         f"endpoint {quote(request.endpoint)} has no scored run yet")
        tasks = [self._task_score(tid, s.score, s.run_id, s.finished_at) for tid, s in view.tasks.items()]
        verdicts = [verdict_message(v, run_id) for run_id, v in view.verdicts.values()]
        newest = max(view.tasks.values(), key=lambda s: s.finished_at or datetime.min.replace(tzinfo=UTC),
                     default=None)
        return self._scores(newest.run_id if newest else "", request.endpoint, tasks, view.aggregate, verdicts)

    def _run_scores(self, record: RunRecord) -> Any:
        agg = self.svc.aggregate_run(record.id, record.endpoint)
        tasks = [self._task_score(tid, rec, record.id, record.finished_at) for tid, rec in agg.tasks.items()]
        verdicts = [verdict_message(v, record.id) for v in self.svc.store.verdicts(record.id)]
        return self._scores(record.id, record.endpoint, tasks, agg, verdicts)

    def _task_score(self, tid: str, rec: Any, run_id: str, at: datetime | None) -> Any:
        task = self.svc.runs.catalogue.get(tid)
        return pb2.TaskScore(
            task=tid, dimension=task.dimension.value if task else "", subdimension=task.subdimension if task else "",
            has_score=rec.score is not None, score=rec.score or 0.0,
            ci95=pb2.Interval(low=rec.ci_low or 0.0, high=rec.ci_high or 0.0),
            scored=rec.n_scored, errors=rec.n_errors, unscorable=rec.n_unscorable, run_id=run_id, scored_at=_ts(at))

    @staticmethod
    def _scores(run_id: str, endpoint: str, tasks: list[Any], agg: Any, verdicts: list[Any]) -> Any:
        subs = [pb2.GroupScore(name=s, dimension=d, has_score=s in agg.subdimensions,
                               score=agg.subdimensions.get(s, 0.0), reason=agg.missing.get(s, ""))
                for s, d in agg.subdimension_of.items() if s in agg.subdimensions or s in agg.missing]
        dims = [pb2.GroupScore(name=d, has_score=d in agg.dimensions, score=agg.dimensions.get(d, 0.0),
                               reason=agg.missing.get(d, ""))
                for d in dict.fromkeys(agg.subdimension_of.values()) if d in agg.dimensions or d in agg.missing]
        return pb2.Scores(run_id=run_id, endpoint=endpoint, tasks=tasks, subdimensions=subs, dimensions=dims,
                          has_overall=agg.overall is not None, overall=agg.overall or 0.0,
                          overall_reason=agg.missing.get("overall", ""), verdicts=verdicts)

    async def CompareRuns(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if not request.candidate_run_id:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "candidate_run_id is required")
        for name, value in (("alpha", request.alpha), ("min_effect", request.min_effect)):
            if not 0 <= value < 1:
                await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"{name} must be in [0, 1) (0 = the config's)")
        for role, run_id in (("candidate", request.candidate_run_id), ("baseline", request.baseline_run_id)):
            if run_id and await asyncio.to_thread(self.svc.store.get_run, run_id) is None:
                await _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown {role} run {quote(run_id)}")
        settings = settings_of(self.svc.config, gate=True)
        settings = replace(settings, alpha=request.alpha or settings.alpha,
                           min_effect=request.min_effect or settings.min_effect)
        try:
            result = await asyncio.to_thread(compare, self.svc.regression, request.candidate_run_id,
                                             request.baseline_run_id or None, settings)
        except CompareError as exc:
            await _abort(context, _CODES[exc.code], exc.message)
        return pb2.Comparison(candidate_run_id=result.candidate, reference_runs=result.reference,
                              result=result.result, verdicts=[verdict_message(v, result.candidate)
                                                              for v in result.verdicts],
                              alpha=settings.alpha, min_effect=settings.min_effect, message=result.message)

    async def SetBaseline(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if self.svc.config.endpoint(request.endpoint) is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown endpoint {quote(request.endpoint)}")
        await self._get(request.run_id, context)
        try:
            await asyncio.to_thread(self.svc.set_baseline, request.endpoint, request.run_id)
        except ValueError as exc:
            await _abort(context, grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return pb2.Baseline(endpoint=request.endpoint, run_id=request.run_id)


_OPEN = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class _Undecodable:
    """Stands for a request body that is not the method's message (the deserializer failed)."""

    def __init__(self, size: int) -> None:
        self.size = size


def _message_name(deserializer: Any, method: str) -> str:
    cls = getattr(deserializer, "__self__", None)
    descriptor = getattr(cls, "DESCRIPTOR", None)
    return str(getattr(descriptor, "full_name", "")) or f"request of {method}"


class Guard(grpc.aio.ServerInterceptor):
    """Around every unary request: the token check (``authorization: Bearer <token>`` metadata, when tokens are
    configured; health checks and reflection stay open), a request body that does not parse (INVALID_ARGUMENT
    and one log line, not a traceback), the bounds of :mod:`monitor.api.limits` on TrustMonitor requests, and a
    handler's unexpected exception (INTERNAL, logged with its traceback once). Streaming requests (reflection)
    pass through untouched but for the token check, which they are exempt from."""

    def __init__(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    def _denied(self, details: grpc.HandlerCallDetails) -> str:
        """Why the call may not go on ('' when it may)."""
        method = details.method or ""
        if not self._tokens or method.startswith(_OPEN):
            return ""
        presented = b""
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                raw = value.encode() if isinstance(value, str) else value
                presented = raw.removeprefix(b"Bearer ").strip()
        if presented and self._tokens.matches(presented):
            return ""
        return "invalid token" if presented else "missing 'authorization: Bearer <token>' metadata"

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        method = details.method or ""
        denied = self._denied(details)
        if denied:
            return _deny(handler, denied)
        if handler.request_streaming:
            return handler
        return _guarded(handler, method)


def _deny(handler: grpc.RpcMethodHandler, reason: str) -> grpc.RpcMethodHandler:
    """UNAUTHENTICATED for the call, without reading its body."""

    async def deny(_request: Any, context: grpc.aio.ServicerContext) -> Any:
        await _abort(context, grpc.StatusCode.UNAUTHENTICATED, reason)

    async def deny_stream(_request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await _abort(context, grpc.StatusCode.UNAUTHENTICATED, reason)
        yield None  # pragma: no cover

    def raw(body: bytes) -> bytes:
        return body

    if handler.request_streaming:
        if handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(deny_stream, raw, handler.response_serializer)
        return grpc.stream_unary_rpc_method_handler(deny, raw, handler.response_serializer)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(deny_stream, raw, handler.response_serializer)
    return grpc.unary_unary_rpc_method_handler(deny, raw, handler.response_serializer)


def _guarded(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    parse = handler.request_deserializer
    name = _message_name(parse, method)
    bounded = method.startswith(f"/{SERVICE_NAME}/")

    def deserialize(body: bytes) -> Any:
        try:
            return parse(body) if parse is not None else body
        except Exception:  # DecodeError, invalid UTF-8 in a string field, ...
            return _Undecodable(len(body))

    async def check(request: Any, context: grpc.aio.ServicerContext) -> None:
        if isinstance(request, _Undecodable):
            log.warning("gRPC %s from %s: the request body (%d bytes) is not a valid %s", method, context.peer(),
                        request.size, name)
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"request is not a valid {name}")
        if bounded:
            wrong = problem(request)
            if wrong is not None:
                await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, wrong)

    async def failed(context: grpc.aio.ServicerContext) -> NoReturn:
        log.exception("gRPC %s failed", method)
        await _abort(context, grpc.StatusCode.INTERNAL, "internal error (the server log says more)")

    if handler.response_streaming:
        stream = handler.unary_stream

        async def guarded_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            await check(request, context)
            try:
                async for item in stream(request, context):
                    yield item
            except (grpc.aio.AbortError, asyncio.CancelledError):
                raise
            except Exception:
                await failed(context)

        return grpc.unary_stream_rpc_method_handler(guarded_stream, deserialize, handler.response_serializer)

    unary = handler.unary_unary

    async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await check(request, context)
        try:
            return await unary(request, context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception:
            await failed(context)

    return grpc.unary_unary_rpc_method_handler(guarded, deserialize, handler.response_serializer)


def _check_free(address: str) -> None:
    """Raise OSError naming ``address`` when something listens there already: gRPC's own error is a bare
    RuntimeError, and without SO_REUSEPORT a second monitor would otherwise share the port silently."""
    host, port = split_hostport(address)
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise OSError(f"cannot listen on {address} for gRPC (server.grpc_listen): {exc.strerror}") from None
    for family, kind, proto, _, sockaddr in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                raise OSError(f"cannot listen on {address} for gRPC (server.grpc_listen): {exc.strerror}") from None


class GrpcServer:
    def __init__(self, service: Service, tokens: TokenSet | None = None, tls: ServerTLS | None = None) -> None:
        self.tokens = tokens or TokenSet()
        self.tls = tls
        options = [("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", MAX_REQUEST_BYTES)]
        self.server = grpc.aio.server(interceptors=[Guard(self.tokens)], options=options)
        self.servicer = TrustMonitorServicer(service)
        pb2_grpc.add_TrustMonitorServicer_to_server(self.servicer, self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(names, self.server)
        self.port = 0
        self._started = False

    def bind(self, address: str) -> None:
        """Take the port (before the rest of the service starts, so a busy one stops nothing half-way)."""
        _check_free(address)
        try:
            if self.tls is None:
                self.port = self.server.add_insecure_port(address)
            else:
                cert, key, client_ca = self.tls.pems()
                credentials = grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca,
                                                          require_client_auth=client_ca is not None)
                self.port = self.server.add_secure_port(address, credentials)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise OSError(f"cannot listen on {address} for gRPC (server.grpc_listen)")
        host = split_hostport(address)[0]
        if self.tls is None and self.tokens and host not in ("127.0.0.1", "::1", "localhost"):
            log.warning("the gRPC API on %s has tokens but no TLS (server.tls): tokens cross the network in clear "
                        "text", address)

    async def start(self, address: str) -> None:
        if self.port == 0:
            self.bind(address)
        await self.server.start()
        self._started = True
        for name in ("", SERVICE_NAME):
            await _maybe_await(self.health.set(name, health_pb2.HealthCheckResponse.SERVING))

    async def stop(self, grace: float = 5.0) -> None:
        for name in ("", SERVICE_NAME):
            await _maybe_await(self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING))
        if self.port and not self._started:  # bound, never started: gRPC lets go of the port only after a start
            await self.server.start()
        await self.server.stop(grace)


async def _maybe_await(value: Any) -> None:
    if asyncio.iscoroutine(value):
        await value
