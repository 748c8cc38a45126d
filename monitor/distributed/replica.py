"""What an API replica does in mode: distributed: starts runs by queueing them, defers the schedule's ticks, and
follows the runs the workers execute through the store (WatchRun, published scores, model info).

No replica is special: every one defers every tick (the engine keeps one per endpoint and tick), and every one
follows every run, so any replica may die without a gap.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from monitor import events
from monitor.adapters import Adapter, ModelIdentity
from monitor.background import LoopTask
from monitor.config import Config, ScheduleConfig
from monitor.distributed import plan
from monitor.distributed.jobs import Jobs
from monitor.runs import RunError, RunManager
from monitor.store import RunRecord, RunStatus, Store, StoreError

log = logging.getLogger(__name__)

FOLLOW_OVERLAP = timedelta(seconds=120)  # finished runs re-read this far back: other hosts' clocks may differ
REQUEUE_AFTER = timedelta(seconds=30)  # a run queued this long gets its start job deferred again (a no-op if one waits)


class QueuedRuns(RunManager):
    """The run manager of an API replica: a run started here is stored QUEUED and its start job deferred; workers
    execute it. Busy, queued-behind, cancel and wait read the store, which every replica shares."""

    def __init__(self, config: Config, store: Store, bus: events.EventBus, adapters: dict[str, Adapter]) -> None:
        super().__init__(config, store, bus, adapters)
        self.jobs: Jobs | None = None  # set once the engine is open
        self._deferring: set[asyncio.Task[None]] = set()

    def start(self, endpoint_name: str, tasks: list[str] | None, trigger: str) -> RunRecord:
        endpoint = self.config.endpoint(endpoint_name)
        if endpoint is None:
            raise RunError("not_found", f"unknown endpoint {endpoint_name!r}")
        task_ids = self.resolve_tasks(endpoint, tasks)
        if self.jobs is None:
            raise RunError("failed_precondition", "the task engine is not open yet; try again in a moment")
        if trigger == "api":
            queued = [r for r in self.store.list_runs(None, self.config.server.max_queued_runs + 50,
                                                      [RunStatus.QUEUED]) if r.trigger == "api"]
            if len(queued) >= self.config.server.max_queued_runs:
                raise RunError("resource_exhausted",
                               f"{len(queued)} on-demand runs already queued (server.max_queued_runs)")
        rotation = self.rotation(endpoint, trigger)
        record = self.store.create_run(endpoint.name, trigger, task_ids, self.suite_version, self.profile)
        if rotation is not None:
            self.store.add_event("sampling", endpoint.name, record.id,
                                 {"per_task": rotation[0], "run_number": rotation[1]})
        self.bus.publish(events.Event(events.RUN_QUEUED, endpoint.name, record.id, status="queued",
                                      trigger=record.trigger))
        task = asyncio.get_running_loop().create_task(self._defer(record), name=f"defer-{record.id}")
        self._deferring.add(task)
        task.add_done_callback(self._deferring.discard)
        return record

    async def _defer(self, record: RunRecord) -> None:
        assert self.jobs is not None
        try:
            await self.jobs.defer_start(record.id, record.endpoint)
        except Exception as exc:  # the queue unreachable: the run must not wait for ever
            log.error("run %s on %s could not be queued: %s", record.id, record.endpoint, type(exc).__name__)
            try:
                await asyncio.to_thread(self.store.finish_run_once, record.id, RunStatus.FAILED,
                                        f"could not be queued: {type(exc).__name__}")
            except StoreError as again:
                log.error("run %s: its failure could not be stored either: %s", record.id, again)

    def busy(self, endpoint: str) -> bool:
        return bool(self.store.list_runs(endpoint, 1, [RunStatus.RUNNING]))

    def queued_behind(self, run_id: str) -> str:
        record = self.store.get_run(run_id)
        if record is None or record.status is not RunStatus.QUEUED:
            return ""
        holders = self.store.list_runs(record.endpoint, 1, [RunStatus.RUNNING])
        if not holders:
            return ""
        holder = holders[0]
        progress = f" ({holder.done_items}/{holder.total_items} items done)" if holder.total_items else ""
        return f"queued behind run {holder.id}{progress}"

    def cancel(self, run_id: str) -> RunRecord:
        record = self.store.get_run(run_id)
        if record is None:
            raise RunError("not_found", f"unknown run {run_id!r}")
        finished = None if record.status.finished else self.store.finish_run_once(run_id, RunStatus.CANCELLED,
                                                                                  "cancelled")
        if finished is None:
            current = self.store.get_run(run_id) or record
            raise RunError("failed_precondition", f"run {run_id} has already finished ({current.status.value})")
        return finished  # the workers see it finished at their next commit and stop sending

    async def wait(self, run_id: str) -> None:
        while True:
            record = await asyncio.to_thread(self.store.get_run, run_id)
            if record is None or record.status.finished:
                return
            await asyncio.sleep(self.config.distributed.poll_interval)

    async def run_scheduled(self, endpoint_name: str, trigger: str = "schedule") -> None:
        raise RunError("failed_precondition", "in mode: distributed the schedule's ticks are deferred by Ticker")

    async def check_model(self, endpoint: str) -> bool:
        return False  # workers check models (a check_model job per tick)

    async def shutdown(self) -> None:
        self.runner.shutting_down = True
        if self._deferring:
            await asyncio.gather(*self._deferring, return_exceptions=True)


class Ticker(LoopTask):
    """Defers each endpoint's scheduled runs and model checks at their ticks. Every replica runs one; the engine
    keeps one job per (endpoint, tick), so ticks are neither doubled nor dropped while any replica lives."""

    task_name = "ticker"

    def __init__(self, config: Config, jobs: Jobs) -> None:
        self.config = config
        self.jobs = jobs
        self.deferred = 0  # ticks this replica deferred (others found them deferred already)

    def _schedules(self) -> list[tuple[str, str, ScheduleConfig, bool, float]]:
        """(kind, endpoint, schedule, catch up the current tick at start, grace) of every tick stream."""
        out: list[tuple[str, str, ScheduleConfig, bool, float]] = []
        for ep in self.config.endpoints:
            if ep.schedule is not None:
                out.append(("run", ep.name, ep.schedule, ep.schedule.run_on_start, ep.schedule.misfire_grace))
            if ep.model_check.interval is not None:
                out.append(("check", ep.name, ScheduleConfig(interval=ep.model_check.interval), False, 60.0))
        return out

    async def _loop(self) -> None:
        streams = self._schedules()
        last: dict[tuple[str, str], int] = {}
        first = True
        while True:
            now = datetime.now(UTC)
            wait = 30.0
            for kind, endpoint, schedule, catch_up, grace in streams:
                tick = plan.last_tick(schedule, now)
                ahead = plan.next_tick(schedule, now)
                if ahead is not None:
                    wait = min(wait, ahead)
                key = (kind, endpoint)
                if tick is None or last.get(key) == tick:
                    continue
                if first and not catch_up and now.timestamp() - tick > grace:
                    last[key] = tick  # missed before this replica started, beyond the grace: not run
                    continue
                try:
                    defer = self.jobs.defer_tick if kind == "run" else self.jobs.defer_check
                    if await defer(endpoint, tick):
                        self.deferred += 1
                        log.info("%s of %s deferred for %s", "scheduled run" if kind == "run" else "model check",
                                 endpoint, datetime.fromtimestamp(tick, UTC).isoformat())
                    last[key] = tick
                except Exception as exc:  # the database unreachable: try again shortly, this tick included
                    log.warning("deferring the %s tick of %s failed (%s); trying again", kind, endpoint,
                                type(exc).__name__)
                    wait = min(wait, 1.0)
            first = False
            await asyncio.sleep(max(0.05, wait + 0.02))


class Follower(LoopTask):
    """Reads the runs in progress (and just finished) from the store every ``distributed.poll_interval`` and tells
    this replica's bus: started, progress, finished. Publishing scores and WatchRun hang off these events, as in
    single mode; metrics of requests and runs come from the workers that executed them."""

    task_name = "follower"

    def __init__(self, config: Config, store: Store, bus: events.EventBus,
                 identities: dict[str, ModelIdentity], jobs: Jobs | None = None) -> None:
        self.config = config
        self.store = store
        self.bus = bus
        self.identities = identities
        self.jobs = jobs  # to queue again a run left queued with no start job (its replica died in between)
        self._seen: dict[str, tuple[RunStatus, int, int]] = {}
        self._announced: dict[str, datetime] = {}  # finished runs told, with when they finished
        self._requeued: dict[str, float] = {}  # queued runs whose start job was deferred again, and when
        self.requeue_after = REQUEUE_AFTER

    async def _loop(self) -> None:
        started = last = datetime.now(UTC)  # runs finished before this replica started were restored, not told
        while True:
            now = datetime.now(UTC)
            try:
                await self.poll(last - FOLLOW_OVERLAP, quiet_before=started)
                last = now
            except StoreError as exc:
                log.warning("following runs: %s", exc)
            except Exception:
                log.exception("following runs failed")
            await asyncio.sleep(self.config.distributed.poll_interval)

    async def poll(self, since: datetime, quiet_before: datetime | None = None) -> None:
        records = await asyncio.to_thread(self.store.runs_changed_since, since)
        for record in records:
            before = self._seen.get(record.id)
            now = (record.status, record.done_items, record.error_items)
            if record.status.finished:
                if record.id in self._announced:
                    continue
                self._announced[record.id] = record.finished_at or datetime.now(UTC)
                if before is None and quiet_before is not None and record.finished_at is not None \
                        and record.finished_at < quiet_before:
                    continue  # finished before this replica started following
                await self.bus.deliver(events.Event(
                    events.RUN_FINISHED, record.endpoint, record.id, status=record.status.value,
                    trigger=record.trigger, total=record.total_items, done=record.done_items,
                    errors=record.error_items, message=record.message))
                self._seen.pop(record.id, None)
                continue
            self._seen[record.id] = now
            if record.status is RunStatus.QUEUED and self.jobs is not None \
                    and datetime.now(UTC) - record.created_at > self.requeue_after:
                await self._requeue(record)
            if before == now:
                continue
            if before is None and record.status is RunStatus.QUEUED:
                self.bus.publish(events.Event(events.RUN_QUEUED, record.endpoint, record.id, status="queued",
                                              trigger=record.trigger))
            if record.status is RunStatus.RUNNING and (before is None or before[0] is not RunStatus.RUNNING):
                if record.model:
                    self.identities[record.endpoint] = ModelIdentity(record.model, record.model_version,
                                                                     record.model_fingerprint)
                self.bus.publish(events.Event(events.RUN_STARTED, record.endpoint, record.id, status="running",
                                              trigger=record.trigger, total=record.total_items))
            if record.status is RunStatus.RUNNING and (before is None or before[1:] != now[1:]):
                self.bus.publish(events.Event(events.SAMPLE_DONE, record.endpoint, record.id, status="running",
                                              total=record.total_items, done=record.done_items,
                                              errors=record.error_items))
        for run_id in [r for r in self._requeued if r not in self._seen]:
            del self._requeued[run_id]
        for run_id, at in list(self._announced.items()):
            if at < since:  # no longer read back
                del self._announced[run_id]

    async def _requeue(self, record: RunRecord) -> None:
        """Defer a long-queued run's start job again, at most once per ``requeue_after``: its queueing lock
        makes this a no-op while one waits; when none does (lost with the replica that created the run), this
        one starts it."""
        assert self.jobs is not None
        last = self._requeued.get(record.id)
        now = asyncio.get_running_loop().time()
        if last is not None and now - last < self.requeue_after.total_seconds():
            return
        self._requeued[record.id] = now
        await self.jobs.defer_start(record.id, record.endpoint)
