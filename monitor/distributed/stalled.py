"""Stalled-job recovery, on from the start: a worker killed mid-job (SIGKILL, OOM, a lost node) leaves its jobs in
``doing``; once its heartbeat is older than ``distributed.stalled_after`` they are put back in the queue for
another worker. Every process with the engine open runs this; a job retried by one is skipped by the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from monitor.background import LoopTask

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)


class StalledJobs(LoopTask):
    task_name = "stalled-jobs"

    def __init__(self, app: procrastinate.App, stalled_after: float) -> None:
        self.app = app
        self.stalled_after = stalled_after
        self.retried = 0

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.stalled_after / 4)
            try:
                await self.sweep()
            except Exception as exc:  # the database unreachable: the next sweep tries again
                log.warning("looking for stalled jobs failed: %s", type(exc).__name__)

    async def sweep(self) -> int:
        """Put the jobs of workers silent for ``stalled_after`` back in the queue; how many this call did."""
        manager = self.app.job_manager
        count = 0
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_after):
            try:
                await manager.retry_job(job)
            except Exception:  # another process retried it first (no longer 'doing')
                continue
            count += 1
            log.warning("job %s (%s %s) of a worker silent for %.0fs put back in the queue", job.id, job.task_name,
                        _brief(job.task_kwargs), self.stalled_after)
        self.retried += count
        return count


def _brief(kwargs: Mapping[str, object]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(kwargs.items()) if k in ("run_id", "shard", "endpoint"))
