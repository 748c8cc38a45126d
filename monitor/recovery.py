"""At start-up: finish the runs an earlier process left unfinished.

The store first marks every run left queued or running as interrupted (``Store.mark_interrupted``); then each
interrupted run young enough (``recovery.max_age``), of an endpoint still configured, planned from the same suite
and profile, and not already resumed ``recovery.max_resumes`` times, is queued again under its own id. Its worker
sends only the items with no stored result (``RunManager.resume``), so it ends with every item stored exactly once
(the store's unique key on run, task, variant and sample). A run that cannot be resumed stays interrupted with the
reason in its message and a ``run_not_resumed`` event, once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from monitor import events
from monitor.config import Config
from monitor.runs import SAMPLED_TRIGGERS, RunManager
from monitor.store import RunRecord, RunStatus, Store

log = logging.getLogger(__name__)

RESUMED, NOT_RESUMED = events.RUN_RESUMED, events.RUN_NOT_RESUMED


class Recovery:
    def __init__(self, config: Config, store: Store, runs: RunManager) -> None:
        self.config = config.recovery
        self.store = store
        self.runs = runs

    async def resume_interrupted(self) -> list[str]:
        """Queue every resumable interrupted run, oldest first; returns their ids."""
        if not self.config.resume:
            return []
        since = datetime.now(UTC) - timedelta(seconds=self.config.max_age)
        resumed: list[str] = []
        for record in await asyncio.to_thread(self.store.resumable_runs, since):
            if await asyncio.to_thread(self.store.run_events, record.id, NOT_RESUMED):
                continue  # judged before: said once
            reason, attempts = await asyncio.to_thread(self._obstacle, record)
            if reason:
                await asyncio.to_thread(self._leave, record, reason)
                continue
            rotation = await asyncio.to_thread(self._rotation, record)
            endpoint = self.runs.config.endpoint(record.endpoint)
            if rotation is None and endpoint is not None and endpoint.sampling is not None \
                    and record.trigger in SAMPLED_TRIGGERS:
                await asyncio.to_thread(self._leave, record, "the record of its sampled subset is gone "
                                        "(store.retention shorter than recovery.max_age?)")
                continue
            await asyncio.to_thread(self.store.add_event, RESUMED, record.endpoint, record.id,
                                    {"attempt": attempts + 1, "stored": record.done_items,
                                     "total": record.total_items})
            self.runs.resume(record, rotation)
            resumed.append(record.id)
        if resumed:
            log.warning("%d interrupted run(s) resumed: %s", len(resumed), ", ".join(resumed))
        return resumed

    def _obstacle(self, record: RunRecord) -> tuple[str, int]:
        """Why a run cannot be resumed ("" if it can), and how often it was resumed before."""
        attempts = len(self.store.run_events(record.id, RESUMED))
        mismatch = plan_mismatch(record, self.runs)
        if mismatch:
            return mismatch, attempts
        if attempts >= self.config.max_resumes:
            return (f"interrupted again after {attempts} resumption(s) (recovery.max_resumes); it may be what "
                    "stops the service"), attempts
        return "", attempts

    def _rotation(self, record: RunRecord) -> tuple[int, int] | None:
        return planned_rotation(self.store, record.id)

    def _leave(self, record: RunRecord, reason: str) -> None:
        message = f"{record.message}; not resumed: {reason}" if record.message else f"not resumed: {reason}"
        self.store.finish_run(record.id, RunStatus.INTERRUPTED, message)
        self.store.add_event(NOT_RESUMED, record.endpoint, record.id, {"reason": reason})
        log.warning("run %s on %s stays interrupted: %s", record.id, record.endpoint, reason)


def plan_mismatch(record: RunRecord, runs: RunManager) -> str:
    """Why this process cannot plan ``record`` again as it was planned ("" when it can): its endpoint, suite,
    profile or tasks differ from this process's."""
    if runs.config.endpoint(record.endpoint) is None:
        return f"endpoint {record.endpoint!r} is no longer configured"
    if record.suite_version != runs.suite_version:
        return f"the suite changed since the run started ({record.suite_version} -> {runs.suite_version})"
    if record.profile != runs.profile:
        return f"the scoring profile changed ({record.profile} -> {runs.profile})"
    missing = [t for t in record.tasks if t not in runs.catalogue]
    if missing:
        return f"task(s) {', '.join(missing)} no longer in the suite"
    return ""


def planned_rotation(store: Store, run_id: str) -> tuple[int, int] | None:
    """The rotating selection a sampled run was planned with (its ``sampling`` event), to plan it again."""
    for event in store.run_events(run_id, "sampling"):
        per_task, number = event.detail.get("per_task"), event.detail.get("run_number")
        if isinstance(per_task, int) and isinstance(number, int):
            return per_task, number
    return None
