"""Run lifecycle: plans runs from the catalogue, queues them, never runs one endpoint twice at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from monitor import events
from monitor.adapters import Adapter, ModelIdentity
from monitor.config import Config, EndpointConfig
from monitor.identity import IdentityWatch
from monitor.runner import Judge, Prior, Runner, WorkItem
from monitor.store import RunRecord, RunStatus, Store, StoreError
from probes.catalogue import Sample, Task, all_tasks, suite_version
from probes.official import load_official
from probes.sampling import rotating_selection

log = logging.getLogger(__name__)

SAMPLED_TRIGGERS = ("schedule", "startup")


class RunError(Exception):
    """A request to start or change a run that cannot be honoured; ``code`` maps to a gRPC status."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "not_found" | "invalid_argument" | "failed_precondition" | "resource_exhausted"
        self.message = message


@dataclass
class _Active:
    record: RunRecord
    task: asyncio.Task[None]


class RunManager:
    def __init__(self, config: Config, store: Store, bus: events.EventBus, adapters: dict[str, Adapter]) -> None:
        self.config = config
        self.store = store
        self.bus = bus
        self.adapters = adapters
        self.runner = Runner(store, bus)
        self.catalogue: dict[str, Task] = all_tasks()
        self.suite_version = suite_version()
        self.profile = config.suite.profile
        self.skipped: dict[str, str] = {}
        if config.suite.official_data is not None:
            official = load_official(config.suite.official_data)
            self.catalogue = dict(official.tasks)
            self.skipped = official.skipped
            self.suite_version = official.version()
            self.profile = "multitrust"  # official data is scored the original's way, for comparable numbers
            log.info("official data %s: %d task(s) loaded, %d skipped", official.root, len(official.tasks),
                     len(official.skipped))
            for tid, why in official.skipped.items():  # load_official never raises: a bad task is only skipped
                log.warning("official data: %s skipped: %s", tid, why)
        self._locks = {ep.name: asyncio.Lock() for ep in config.endpoints}
        self._active: dict[str, _Active] = {}
        self._holder: dict[str, str] = {}  # endpoint -> the run that holds it now
        self._queued_on_demand = 0
        # who answers behind each endpoint (monitor.identity): read before each run and by check_model, and
        # followed in the probe replies
        self.watch = IdentityWatch(config, store, bus, running=self._holder.get, on_change=self._changed_in_replies)
        self.identities: dict[str, ModelIdentity] = self.watch.identities
        self.runner.on_reply = self.watch.on_reply

    # -- planning ---------------------------------------------------------------------------------------
    def resolve_tasks(self, endpoint: EndpointConfig, requested: list[str] | None) -> list[str]:
        if requested:
            ids = requested
        elif endpoint.tasks:
            ids = endpoint.tasks
        elif self.config.suite.tasks == "all":
            ids = list(self.catalogue)
        else:
            ids = list(self.config.suite.tasks)
        if self.skipped and not requested:  # configured tasks the official data lacks are left out, not errors
            ids = [t for t in ids if t not in self.skipped]
        skipped = [f"{t} ({self.skipped[t]})" for t in ids if t in self.skipped]
        if skipped:
            raise RunError("invalid_argument", f"not available in the official data: {'; '.join(skipped)}")
        unknown = [t for t in ids if t not in self.catalogue]
        if unknown:
            known = ", ".join(self.catalogue)
            raise RunError("invalid_argument", f"unknown task(s) {', '.join(unknown)}; known: {known}")
        return list(dict.fromkeys(ids))

    def plan(self, task_ids: list[str], rotation: tuple[int, int] | None = None) -> list[WorkItem]:
        """Work items of a run; ``rotation`` = (per_task, run_number) selects a rotating subset per task."""
        cap = self.config.suite.max_samples_per_task
        items: list[WorkItem] = []
        for tid in task_ids:
            task = self.catalogue[tid]
            samples: Sequence[Sample] = task.samples
            if rotation is not None:
                samples = rotating_selection(task, self.suite_version, *rotation)
            if cap is not None:
                samples = samples[:cap]
            items.extend(WorkItem(task, variant, s) for variant in task.variants for s in samples)
        return items

    def rotation(self, endpoint: EndpointConfig, trigger: str) -> tuple[int, int] | None:
        """Scheduled runs of an endpoint with ``sampling`` rotate through the suite; on-demand runs send all."""
        if endpoint.sampling is None or trigger not in SAMPLED_TRIGGERS:
            return None
        done = self.store.count_runs(endpoint.name, suite_version=self.suite_version, triggers=list(SAMPLED_TRIGGERS))
        return endpoint.sampling.per_task, done

    def judge_for(self, endpoint: str) -> Judge | None:
        """The configured judge, unless the endpoint under test is the judge itself."""
        name = self.config.suite.judge
        if name is None or name == endpoint:
            return None
        judge_endpoint = self.config.endpoint(name)
        assert judge_endpoint is not None  # the config validates it
        return Judge(judge_endpoint, self.adapters[name])

    # -- lifecycle --------------------------------------------------------------------------------------
    def busy(self, endpoint: str) -> bool:
        return any(a.record.endpoint == endpoint for a in self._active.values())

    def queued_behind(self, run_id: str) -> str:
        """For a run waiting for its endpoint: which run it waits behind, in words ("" if it is not waiting)."""
        active = self._active.get(run_id)
        if active is None:
            return ""
        holder = self._holder.get(active.record.endpoint)
        if holder is None or holder == run_id:
            return ""
        ahead = sum(1 for a in self._active.values() if a.record.endpoint == active.record.endpoint
                    and a.record.id not in (holder, run_id) and a.record.created_at < active.record.created_at)
        record = self.store.get_run(holder)
        progress = f" ({record.done_items}/{record.total_items} items done)" if record and record.total_items else ""
        more = f", and {ahead} more queued before it" if ahead else ""
        return f"queued behind run {holder}{progress}{more}"

    def start(self, endpoint_name: str, tasks: list[str] | None, trigger: str) -> RunRecord:
        endpoint = self.config.endpoint(endpoint_name)
        if endpoint is None:
            raise RunError("not_found", f"unknown endpoint {endpoint_name!r}")
        task_ids = self.resolve_tasks(endpoint, tasks)
        on_demand = trigger == "api"
        if on_demand and self._queued_on_demand >= self.config.server.max_queued_runs:
            raise RunError("resource_exhausted",
                           f"{self._queued_on_demand} on-demand runs already queued (server.max_queued_runs)")
        rotation = self.rotation(endpoint, trigger)
        record = self.store.create_run(endpoint.name, trigger, task_ids, self.suite_version,
                                       self.profile)
        if rotation is not None:
            self.store.add_event("sampling", endpoint.name, record.id,
                                 {"per_task": rotation[0], "run_number": rotation[1]})
        if on_demand:
            self._queued_on_demand += 1
        self._launch(record, endpoint, task_ids, on_demand, rotation)
        return record

    def resume(self, record: RunRecord, rotation: tuple[int, int] | None) -> RunRecord:
        """Finish an interrupted run that monitor.recovery found resumable: queued again under its own id, it
        sends only the items of its plan with no stored result."""
        endpoint = self.config.endpoint(record.endpoint)
        if endpoint is None:
            raise RunError("not_found", f"unknown endpoint {record.endpoint!r}")
        reopened = self.store.reopen_run(record.id, "resumed after an interruption")
        self._launch(reopened, endpoint, list(record.tasks), False, rotation, resumed=True)
        return reopened

    def _launch(self, record: RunRecord, endpoint: EndpointConfig, task_ids: list[str], on_demand: bool,
                rotation: tuple[int, int] | None, *, resumed: bool = False) -> None:
        self.bus.publish(events.Event(events.RUN_QUEUED, endpoint.name, record.id, status="queued",
                                      trigger=record.trigger))
        task = asyncio.get_running_loop().create_task(
            self._run(record, endpoint, task_ids, on_demand, rotation, resumed), name=f"run-{record.id}")
        self._active[record.id] = _Active(record, task)
        run_id = record.id

        def forget(_task: asyncio.Task[None]) -> None:
            self._active.pop(run_id, None)

        task.add_done_callback(forget)

    async def run_scheduled(self, endpoint_name: str, trigger: str = "schedule") -> None:
        """Scheduler entry point: skip (not pile up) when the endpoint already has a run in progress."""
        if self.busy(endpoint_name):
            log.info("scheduled run of %s skipped: a run is already in progress", endpoint_name)
            return
        try:
            record = self.start(endpoint_name, None, trigger)
        except StoreError as exc:  # not even the run's row could be written: one line, tried again next time
            log.error("scheduled run of %s not started: %s", endpoint_name, exc)
            return
        try:
            await self.wait(record.id)
        except asyncio.CancelledError:  # the scheduler stopping cancels its jobs; shutdown() stops the run itself
            return

    async def wait(self, run_id: str) -> None:
        active = self._active.get(run_id)
        if active is not None:
            await asyncio.gather(active.task, return_exceptions=True)

    async def _run(self, record: RunRecord, endpoint: EndpointConfig, task_ids: list[str], on_demand: bool,
                   rotation: tuple[int, int] | None, resumed: bool = False) -> None:
        lock = self._locks[endpoint.name]
        try:
            async with lock:
                self._holder[endpoint.name] = record.id
                if on_demand:
                    self._queued_on_demand -= 1
                    on_demand = False
                adapter = self.adapters[endpoint.name]
                identity, _ = await self._identity(endpoint.name, adapter, record.id)
                items, prior = self.plan(task_ids, rotation), None
                if resumed:
                    if _other_model(record, identity):
                        await self._not_resumed(record, "the model behind the endpoint changed since the run "
                                                "started")
                        if endpoint.model_check.run_on_change:
                            self.start(endpoint.name, None, "model_change")
                        return
                    items, prior = await self._remaining(record, items)
                await self.runner.execute(
                    record.id, record.trigger, endpoint, adapter, items,
                    profile=self.profile, min_scored=self.config.suite.min_scored_samples,
                    identity=identity, judge=self.judge_for(endpoint.name),
                    max_error_share=self.config.suite.max_error_share,
                    tasks={tid: self.catalogue[tid] for tid in task_ids}, prior=prior,
                )
        except asyncio.CancelledError:
            current = await asyncio.to_thread(self.store.get_run, record.id)
            if current is not None and not current.status.finished:
                if self.runner.shutting_down:
                    status, message = RunStatus.INTERRUPTED, "the service stopped before the run started"
                else:
                    status, message = RunStatus.CANCELLED, "cancelled"
                await asyncio.to_thread(self.store.finish_run, record.id, status, message)
                self.bus.publish(events.Event(events.RUN_FINISHED, endpoint.name, record.id, status=status.value,
                                              trigger=record.trigger, message=message))
        except Exception as exc:
            if isinstance(exc, StoreError):  # full, locked or gone: the store's own words, no traceback
                log.error("run %s on %s failed: %s", record.id, endpoint.name, exc)
                message = str(exc)
            else:
                log.exception("run %s on %s failed before it started", record.id, endpoint.name)
                message = f"{type(exc).__name__}: {exc}"
            try:
                await asyncio.to_thread(self.store.finish_run, record.id, RunStatus.FAILED, message)
            except StoreError as again:  # left running in the store: the next start-up marks it interrupted
                log.error("run %s on %s: its failure could not be stored either: %s", record.id, endpoint.name,
                          again)
            self.bus.publish(events.Event(events.RUN_FINISHED, endpoint.name, record.id, status="failed",
                                          trigger=record.trigger, message=message))
        finally:
            if self._holder.get(endpoint.name) == record.id:
                del self._holder[endpoint.name]
            if on_demand:
                self._queued_on_demand -= 1

    async def _remaining(self, record: RunRecord, plan: list[WorkItem]) -> tuple[list[WorkItem], Prior]:
        """A resumed run's items with no stored result, and what its plan had stored."""
        stored = await asyncio.to_thread(self.store.result_keys, record.id)
        remaining = [it for it in plan if (it.task.id, it.variant, it.sample.id) not in stored]
        done = len(plan) - len(remaining)
        log.info("run %s on %s resumed: %d of %d items stored, %d to send", record.id, record.endpoint, done,
                 len(plan), len(remaining))
        return remaining, Prior(len(plan), done, min(record.error_items, done))

    async def _not_resumed(self, record: RunRecord, reason: str) -> None:
        message = f"interrupted; not resumed: {reason}"
        await asyncio.to_thread(self.store.finish_run, record.id, RunStatus.INTERRUPTED, message)
        await asyncio.to_thread(self.store.add_event, events.RUN_NOT_RESUMED, record.endpoint, record.id,
                                {"reason": reason})
        log.warning("run %s on %s %s", record.id, record.endpoint, message)
        self.bus.publish(events.Event(events.RUN_FINISHED, record.endpoint, record.id, status="interrupted",
                                      trigger=record.trigger, message=message))

    async def _identity(self, endpoint: str, adapter: Adapter, run_id: str | None) -> tuple[ModelIdentity | None, bool]:
        """Who answers now, and whether that changed since the last identity seen (recorded as an event)."""
        return await self.watch.check(endpoint, adapter, run_id)

    async def check_model(self, endpoint: str) -> bool:
        """Between runs: read the identity; on a change, start a full run at once (if configured)."""
        if self.busy(endpoint):
            return False  # the run in progress reads the identity itself
        config = self.config.endpoint(endpoint)
        assert config is not None
        _, changed = await self._identity(endpoint, self.adapters[endpoint], None)
        if changed and config.model_check.run_on_change:
            self.start(endpoint, None, "model_change")
        return changed

    def _changed_in_replies(self, endpoint: str) -> None:
        """A new model seen in the replies of a run: queue one run for it behind the current one."""
        config = self.config.endpoint(endpoint)
        if config is None or not config.model_check.run_on_change or self.runner.shutting_down:
            return
        holder = self._holder.get(endpoint)
        if any(a.record.endpoint == endpoint and a.record.trigger == "model_change" and a.record.id != holder
               for a in self._active.values()):
            return  # one already waits
        self.start(endpoint, None, "model_change")

    def cancel(self, run_id: str) -> RunRecord:
        record = self.store.get_run(run_id)
        if record is None:
            raise RunError("not_found", f"unknown run {run_id!r}")
        active = self._active.get(run_id)
        if record.status.finished or active is None:
            raise RunError("failed_precondition", f"run {run_id} has already finished ({record.status.value})")
        active.task.cancel()
        return record

    async def shutdown(self) -> None:
        """Stop every queued or running run; they are stored as interrupted, with what they answered."""
        self.runner.shutting_down = True
        tasks = [a.task for a in self._active.values()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _other_model(record: RunRecord, identity: ModelIdentity | None) -> bool:
    """Whether the model answering now is not the one a run started with (unknown on either side: no)."""
    if identity is None or not record.model:
        return False
    return (record.model, record.model_version, record.model_fingerprint) != (
        identity.model, identity.version, identity.fingerprint)
