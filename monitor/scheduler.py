"""Periodic runs per endpoint (APScheduler, in-process).

Each endpoint is one job with an interval or cron trigger. ``max_instances=1`` + ``coalesce`` mean a run that
overruns its interval does not pile up: missed fire times collapse into one, and a firing while the endpoint is
still busy is skipped by the run manager. ``misfire_grace_time`` bounds how late a run may still start.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from itertools import pairwise

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Config, ScheduleConfig
from monitor.runs import RunManager

log = logging.getLogger(__name__)


def describe(schedule: object) -> str:
    interval = getattr(schedule, "interval", None)
    cron = getattr(schedule, "cron", None)
    if interval is not None:
        return f"every {interval:g}s"
    if cron is not None:
        return f"cron {cron}"
    return ""


def nominal_interval(schedule: ScheduleConfig | None, now: datetime | None = None) -> float | None:
    """Seconds between scheduled runs: the interval, or for a crontab the longest gap among its next fire times
    (a weekday-only schedule waits three days over a weekend). None without a schedule."""
    if schedule is None:
        return None
    if schedule.interval is not None:
        return schedule.interval
    if schedule.cron is None:
        return None
    trigger = CronTrigger.from_crontab(schedule.cron, timezone="UTC")
    fires: list[datetime] = []
    previous: datetime | None = None
    moment = now or datetime.now(UTC)
    for _ in range(16):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        fires.append(fire)
        previous, moment = fire, fire
    gaps = [(b - a).total_seconds() for a, b in pairwise(fires)]
    return max(gaps) if gaps else None


class Scheduler:
    def __init__(self, config: Config, runs: RunManager) -> None:
        self._config = config
        self._runs = runs
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def start(self) -> None:
        for ep in self._config.endpoints:
            sched = ep.schedule
            if sched is None:
                continue
            trigger: BaseTrigger | None = None
            if sched.interval is not None:
                trigger = IntervalTrigger(seconds=sched.interval, timezone="UTC")
            elif sched.cron is not None:
                trigger = CronTrigger.from_crontab(sched.cron, timezone="UTC")
            if trigger is not None:
                self._scheduler.add_job(
                    self._runs.run_scheduled, trigger, args=[ep.name], id=f"run:{ep.name}", name=f"run {ep.name}",
                    max_instances=1, coalesce=True, misfire_grace_time=int(sched.misfire_grace),
                )
                log.info("scheduled %s: %s", ep.name, describe(sched))
        for ep in self._config.endpoints:
            if ep.model_check.interval is not None:
                self._scheduler.add_job(
                    self._runs.check_model, IntervalTrigger(seconds=ep.model_check.interval, timezone="UTC"),
                    args=[ep.name], id=f"model-check:{ep.name}", name=f"model check {ep.name}",
                    max_instances=1, coalesce=True, misfire_grace_time=60,
                )
        self._scheduler.start()

    def next_run_times(self) -> dict[str, str]:
        return {job.id.removeprefix("run:"): str(job.next_run_time) for job in self._scheduler.get_jobs()
                if job.id.startswith("run:")}

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
