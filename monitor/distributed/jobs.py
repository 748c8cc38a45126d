"""The jobs of a distributed run, registered on the engine by name, executed by any worker.

    tick(endpoint, timestamp)   a scheduled time: creates the tick's run (its id derived from the tick) → start
    start_run(run_id)           waits while another run holds the endpoint, reads who answers, plans the run into
                                shards (stored), defers one shard job each
    shard(run_id, shard)        sends the shard's items that have no stored result; the worker that marks a run's
                                last shard done defers finish_run
    finish_run(run_id)          scores the run from its stored results, finishes it, judges it against its
                                reference (once: the run is finished by one conditional update)
    check_model(endpoint, t)    between runs: reads the model identity; a new model starts a run

Every job may run twice (a worker killed mid-job is taken for dead after ``distributed.stalled_after`` and its
job retried elsewhere), so each is idempotent: results are keyed by (run, task, variant, sample), shards are marked
done once, a run is finished once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import threading
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from procrastinate import exceptions as engine_errors

from monitor import events
from monitor.adapters import ModelIdentity
from monitor.batching import MicroBatch
from monitor.distributed import engine, plan
from monitor.limiter import AdaptiveLimit
from monitor.recovery import plan_mismatch, planned_rotation
from monitor.runner import COMMIT_LINGER_S, RunState, final_status, score_run
from monitor.runs import RunManager
from monitor.store import RunRecord, RunStatus, SampleResult, Store, StoreError
from monitor.tracing import tracer

if TYPE_CHECKING:
    import procrastinate
    from procrastinate.job_context import JobContext

    from monitor.config import Config

log = logging.getLogger(__name__)

BUSY_RETRY_S = 1  # a run waiting for its endpoint looks again after this
PLANS_KEPT = 8  # runs whose work items a worker keeps
MAX_SHARD_ATTEMPTS = 20  # a shard interrupted this often fails its run (something in it kills workers)
SCHEDULED = "scheduled"  # stored event: the tick a scheduled run was created for
TICK_SKIPPED = "tick_skipped"  # stored event: a tick that found its endpoint busy


# the store or the engine's database out of reach: a job failing with one of these is tried again
RETRYABLE: tuple[type[Exception], ...] = (StoreError, OSError, engine_errors.ConnectorException)


class EndpointBusy(Exception):
    """Another run holds the endpoint: the start job is tried again shortly (the engine's retry)."""


_names = itertools.count()


def worker_name() -> str:
    """host:pid of this process, and a suffix for a second engine in one process (tests run several)."""
    n = next(_names)
    return f"{socket.gethostname()}:{os.getpid()}" + (f".{n}" if n else "")


class Jobs:
    """The job bodies, bound to this process's config, store and run manager, and the deferring of jobs."""

    def __init__(self, config: Config, store: Store, runs: RunManager, bus: events.EventBus,
                 app: procrastinate.App) -> None:
        from procrastinate import RetryStrategy

        self.config = config
        self.store = store
        self.runs = runs
        self.bus = bus
        self.app = app
        self.name = worker_name()
        self._plans: dict[str, list[Any]] = {}  # run id → its work items (read and written in threads)
        self._plans_lock = threading.Lock()
        retry_store = RetryStrategy(wait=2, retry_exceptions=list(RETRYABLE))
        self._tick = app.task(name=engine.TICK, queue=engine.RUNS_QUEUE, retry=retry_store)(self.tick)
        self._check = app.task(name=engine.CHECK_MODEL, queue=engine.RUNS_QUEUE)(self.check_model)
        self._start = app.task(name=engine.START, queue=engine.RUNS_QUEUE, retry=RetryStrategy(
            wait=BUSY_RETRY_S, retry_exceptions=[EndpointBusy, *RETRYABLE]))(self.start_run)
        # any exception, an abort at a worker's shutdown included, puts the shard back in the queue
        self._shard = app.task(name=engine.SHARD, queue=engine.SHARDS_QUEUE, pass_context=True,
                               retry=RetryStrategy(wait=2))(self.shard)
        self._finish = app.task(name=engine.FINISH, queue=engine.RUNS_QUEUE, retry=retry_store)(self.finish_run)

    # -- deferring -----------------------------------------------------------------------------------------
    async def defer_tick(self, endpoint: str, tick: int) -> bool:
        """Defer the scheduled run of ``endpoint`` at ``tick``: True if this call deferred it, False if any
        replica already had (the engine's periodic-defer table holds (task, endpoint, tick) unique)."""
        return await self._defer_periodic(self._tick, f"run:{endpoint}", endpoint, tick)

    async def defer_check(self, endpoint: str, tick: int) -> bool:
        return await self._defer_periodic(self._check, f"check:{endpoint}", endpoint, tick)

    async def _defer_periodic(self, task: Any, periodic_id: str, endpoint: str, tick: int) -> bool:
        from procrastinate import exceptions

        deferrer = task.configure(task_kwargs={"endpoint": endpoint, "timestamp": tick},
                                  lock=f"trust:endpoint:{endpoint}:ticks")
        try:
            job_id = await self.app.job_manager.defer_periodic_job(deferrer.job, periodic_id=periodic_id,
                                                                   defer_timestamp=tick)
        except exceptions.AlreadyEnqueued:
            return False
        return job_id is not None

    async def defer_start(self, run_id: str, endpoint: str) -> None:
        from procrastinate import exceptions

        try:
            await self._start.configure(lock=f"trust:endpoint:{endpoint}:start",
                                        queueing_lock=f"trust:start:{run_id}").defer_async(run_id=run_id)
        except exceptions.AlreadyEnqueued:
            pass  # a start job of this run already waits

    async def _defer_shards(self, record: RunRecord, shards: list[int]) -> None:
        from procrastinate import exceptions

        endpoint = self.config.endpoint(record.endpoint)
        assert endpoint is not None
        at_once, _ = plan.slots(endpoint.concurrency, self.config.distributed.endpoint_shards)
        for n in shards:
            try:
                await self._shard.configure(
                    lock=plan.slot_lock(record.endpoint, n, at_once), queueing_lock=f"trust:shard:{record.id}:{n}",
                ).defer_async(run_id=record.id, shard=n)
            except exceptions.AlreadyEnqueued:
                pass  # still waiting from an earlier start of this run

    async def defer_finish(self, run_id: str) -> None:
        from procrastinate import exceptions

        try:
            await self._finish.configure(lock=f"trust:finish:{run_id}",
                                         queueing_lock=f"trust:finish:{run_id}").defer_async(run_id=run_id)
        except exceptions.AlreadyEnqueued:
            pass

    # -- jobs --------------------------------------------------------------------------------------------
    async def tick(self, endpoint: str, timestamp: int) -> None:
        config = self.config.endpoint(endpoint)
        if config is None:
            log.warning("scheduled tick of endpoint %s ignored: not configured on this worker", endpoint)
            return
        run_id = plan.tick_run_id(endpoint, timestamp)
        at = datetime.fromtimestamp(timestamp, UTC).isoformat()
        record = await asyncio.to_thread(self.store.get_run, run_id)
        if record is None:
            busy = await asyncio.to_thread(self.store.list_runs, endpoint, 1, [RunStatus.QUEUED, RunStatus.RUNNING])
            if busy:
                log.info("scheduled run of %s at %s skipped: run %s is in progress", endpoint, at, busy[0].id)
                await asyncio.to_thread(self.store.add_event, TICK_SKIPPED, endpoint, None,
                                        {"tick": timestamp, "behind": busy[0].id})
                return
            record = await asyncio.to_thread(self._create_tick_run, endpoint, timestamp, run_id)
            log.info("scheduled run %s of %s created for %s", run_id, endpoint, at)
        if not record.status.finished:
            await self.defer_start(record.id, endpoint)

    def _create_tick_run(self, endpoint: str, timestamp: int, run_id: str) -> RunRecord:
        config = self.config.endpoint(endpoint)
        assert config is not None
        tasks = self.runs.resolve_tasks(config, None)
        rotation = self.runs.rotation(config, "schedule")
        record = self.store.create_run(endpoint, "schedule", tasks, self.runs.suite_version, self.runs.profile,
                                       run_id=run_id)
        if not self.store.run_events(run_id, SCHEDULED):  # a retried tick job does not record it twice
            if rotation is not None:
                self.store.add_event("sampling", endpoint, run_id, {"per_task": rotation[0], "run_number": rotation[1]})
            self.store.add_event(SCHEDULED, endpoint, run_id, {"tick": timestamp})
        return record

    async def start_run(self, run_id: str) -> None:
        await self._or_fail(run_id, "started", self._start_run(run_id))

    async def _or_fail(self, run_id: str, doing: str, work: Awaitable[None]) -> None:
        """Await ``work``; a busy endpoint or a store/engine fault is raised (the engine tries the job again),
        anything else is a bug that fails the run rather than leaving it queued or running for ever."""
        try:
            await work
        except EndpointBusy:
            raise
        except RETRYABLE:
            raise
        except Exception as exc:
            log.exception("run %s could not be %s", run_id, doing)
            await self._fail_id(run_id, f"could not be {doing}: {type(exc).__name__}: {exc}")

    async def _start_run(self, run_id: str) -> None:
        record = await asyncio.to_thread(self.store.get_run, run_id)
        if record is None or record.status.finished:
            return
        holders = await asyncio.to_thread(self.store.list_runs, record.endpoint, 2, [RunStatus.RUNNING])
        holder = next((r for r in holders if r.id != run_id), None)
        if holder is not None:
            raise EndpointBusy(f"endpoint {record.endpoint} is running run {holder.id}")
        mismatch = plan_mismatch(record, self.runs)
        if mismatch:
            await self._fail(record, f"cannot be planned on this worker: {mismatch}")
            return
        shards = await asyncio.to_thread(self.store.shards, run_id)
        if record.status is RunStatus.RUNNING and shards:  # planned before: a start interrupted after planning
            await self._defer_shards(record, [n for n, _, _, done in shards if not done])
            if all(done for *_, done in shards):
                await self.defer_finish(run_id)
            return
        adapter = self.runs.adapters[record.endpoint]
        identity, _ = await self.runs.watch.check(record.endpoint, adapter, run_id)
        items = await asyncio.to_thread(self._plan, record)
        ranges = plan.shard_ranges(len(items), self.config.distributed.shard_size)
        ident = identity or ModelIdentity(model="")

        def store_plan() -> None:
            self.store.mark_running(run_id, model=ident.model, model_version=ident.version,
                                    model_fingerprint=ident.fingerprint, total_items=len(items))
            self.store.add_shards(run_id, ranges)

        await asyncio.to_thread(store_plan)
        log.info("run %s on %s started: %d items in %d shard(s)", run_id, record.endpoint, len(items), len(ranges))
        if ranges:
            await self._defer_shards(record, list(range(len(ranges))))
        else:
            await self.defer_finish(run_id)

    def _plan(self, record: RunRecord) -> list[Any]:
        """The run's work items, in the order its shards index them (the same on every worker; fixed for a run,
        so the last few runs' plans are kept: a worker takes several shards of a run in turn)."""
        with self._plans_lock:
            items = self._plans.get(record.id)
        if items is None:
            items = self.runs.plan(list(record.tasks), planned_rotation(self.store, record.id))
            with self._plans_lock:
                self._plans[record.id] = items
                while len(self._plans) > PLANS_KEPT:
                    self._plans.pop(next(iter(self._plans)))
        return items

    async def shard(self, context: JobContext, run_id: str, shard: int) -> None:
        record = await asyncio.to_thread(self.store.get_run, run_id)
        if record is None or record.status.finished:
            return
        if context.job.attempts >= MAX_SHARD_ATTEMPTS:
            await self._fail(record, f"shard {shard} was interrupted {context.job.attempts} times")
            return
        mismatch = plan_mismatch(record, self.runs)
        if mismatch:
            await self._fail(record, f"cannot be planned on this worker: {mismatch}")
            return
        ranges = {n: (first, count, done) for n, first, count, done in
                  await asyncio.to_thread(self.store.shards, run_id)}
        if shard not in ranges:
            log.error("run %s has no shard %d; job ignored", run_id, shard)
            return
        first, count, done = ranges[shard]
        if not done:
            try:
                cancelled = await self._send(record, shard, first, count)
            except asyncio.CancelledError:  # this worker is stopping: the engine puts the shard back in the queue
                log.info("shard %d of run %s on %s interrupted (worker stopping); it goes back to the queue", shard,
                         run_id, record.endpoint)
                raise
            except RETRYABLE as exc:  # the store or network gone: tried again, what was stored stays
                log.warning("shard %d of run %s on %s: %s; it goes back to the queue", shard, run_id, record.endpoint,
                            exc)
                raise
            except Exception as exc:
                log.exception("shard %d of run %s on %s failed", shard, run_id, record.endpoint)
                await self._fail(record, f"shard {shard} failed: {type(exc).__name__}: {exc}")
                return
            if cancelled:
                return
        _, left = await asyncio.to_thread(self.store.shard_done, run_id, shard, self.name)
        if left == 0:
            await self.defer_finish(run_id)

    async def _send(self, record: RunRecord, shard: int, first: int, count: int) -> bool:
        """Send the shard's items with no stored result; True when the run was found finished (cancelled)."""
        endpoint = self.config.endpoint(record.endpoint)
        assert endpoint is not None
        items = (await asyncio.to_thread(self._plan, record))[first:first + count]
        stored = await asyncio.to_thread(self.store.result_keys, record.id, {it.task.id for it in items})
        todo = [it for it in items if (it.task.id, it.variant, it.sample.id) not in stored]
        at_once, per_shard = plan.slots(endpoint.concurrency, self.config.distributed.endpoint_shards)
        limit = AdaptiveLimit(per_shard, lambda _value: None,
                              per_minute=plan.split_rate(endpoint.requests_per_minute, at_once))
        state = RunState(total=count, done=count - len(todo))
        await asyncio.to_thread(self.store.shard_taken, record.id, shard, self.name)
        log.info("run %s on %s: shard %d (%d items, %d stored) on %s", record.id, record.endpoint, shard, count,
                 count - len(todo), self.name)

        def write(batch: list[SampleResult]) -> list[None]:
            status = self.store.add_shard_results(record.id, batch)
            if status.finished and not state.stop_reason:
                state.stop_reason = f"run {status.value}"
            return [None] * len(batch)

        commits: MicroBatch[SampleResult, None] = MicroBatch(write, linger_s=COMMIT_LINGER_S)
        with tracer().start_as_current_span("shard", attributes={"run.id": record.id, "endpoint": record.endpoint,
                                                                 "shard": shard, "items": len(todo)}):
            spans = {it.task.id: tracer().start_span("task", attributes={"task": it.task.id, "run.id": record.id})
                     for it in todo}
            try:
                await self.runs.runner.send(record.id, endpoint, self.runs.adapters[record.endpoint], todo,
                                            profile=record.profile, judge=self.runs.judge_for(record.endpoint),
                                            state=state, commit=commits.put, spans=spans, limit=limit,
                                            concurrency=per_shard)
            finally:
                for span in spans.values():
                    span.end()
                await commits.drain()  # answers in hand are kept, whatever stopped the shard
        return bool(state.stop_reason)

    async def finish_run(self, run_id: str) -> None:
        await self._or_fail(run_id, "scored", self._finish_run(run_id))

    async def _finish_run(self, run_id: str) -> None:
        record = await asyncio.to_thread(self.store.get_run, run_id)
        if record is None or record.status.finished:
            return
        shards = await asyncio.to_thread(self.store.shards, run_id)
        if not all(done for *_, done in shards):
            return  # deferred early by a duplicate job; the last shard defers it again
        tasks = {tid: self.runs.catalogue[tid] for tid in record.tasks if tid in self.runs.catalogue}
        suite = self.config.suite
        await asyncio.to_thread(score_run, self.store, run_id, tasks, suite.min_scored_samples, record.profile)
        current = await asyncio.to_thread(self.store.get_run, run_id)
        assert current is not None
        status, message = final_status("", current.done_items, current.error_items, suite.max_error_share)
        finished = await asyncio.to_thread(self.store.finish_run_once, run_id, status, message)
        if finished is None:
            return  # cancelled meanwhile
        duration = ((finished.finished_at - finished.started_at).total_seconds()
                    if finished.finished_at and finished.started_at else None)
        log.info("run %s on %s %s: %d/%d items, %d errors", run_id, finished.endpoint, status.value,
                 finished.done_items, finished.total_items, finished.error_items)
        await self.bus.deliver(events.Event(
            events.RUN_FINISHED, finished.endpoint, run_id, status=status.value, trigger=finished.trigger,
            total=finished.total_items, done=finished.done_items, errors=finished.error_items, duration_s=duration,
            message=message))

    async def check_model(self, endpoint: str, timestamp: int) -> None:
        config = self.config.endpoint(endpoint)
        if config is None:
            return
        busy = await asyncio.to_thread(self.store.list_runs, endpoint, 1, [RunStatus.QUEUED, RunStatus.RUNNING])
        if busy:
            return  # the run in progress reads the identity itself
        self.runs.watch.forget(endpoint)  # compare with the store, not with what this worker saw last
        _, changed = await self.runs.watch.check(endpoint, self.runs.adapters[endpoint], None)
        if changed and config.model_check.run_on_change:
            record = await asyncio.to_thread(self.store.create_run, endpoint, "model_change",
                                             self.runs.resolve_tasks(config, None), self.runs.suite_version,
                                             self.runs.profile)
            await self.defer_start(record.id, endpoint)

    async def _fail_id(self, run_id: str, message: str) -> None:
        record = await asyncio.to_thread(self.store.get_run, run_id)
        if record is not None:
            await self._fail(record, message)

    async def _fail(self, record: RunRecord, message: str) -> None:
        finished = await asyncio.to_thread(self.store.finish_run_once, record.id, RunStatus.FAILED, message)
        if finished is not None:
            log.error("run %s on %s failed: %s", record.id, record.endpoint, message)
            await self.bus.deliver(events.Event(events.RUN_FINISHED, record.endpoint, record.id, status="failed",
                                                trigger=record.trigger, message=message))
