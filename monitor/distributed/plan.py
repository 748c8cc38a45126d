"""Pure planning arithmetic of distributed runs: shard ranges, how an endpoint's concurrency is split among the
shards running at once, schedule ticks and the id of a tick's run."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from monitor.config import ScheduleConfig


def shard_ranges(items: int, shard_size: int) -> list[tuple[int, int]]:
    """(first item, item count) of each shard of a plan of ``items`` work items: consecutive, none empty."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    return [(first, min(shard_size, items - first)) for first in range(0, items, shard_size)]


def slots(concurrency: int, endpoint_shards: int) -> tuple[int, int]:
    """(shards of an endpoint that may run at once, requests each keeps in flight): never more in flight than the
    endpoint's ``concurrency`` in all, whichever workers run them."""
    at_once = max(1, min(endpoint_shards, concurrency))
    return at_once, max(1, concurrency // at_once)


def slot_lock(endpoint: str, shard: int, at_once: int) -> str:
    """The engine lock a shard takes: shards with one lock never run together, so at most ``at_once`` shards of
    an endpoint run at any moment."""
    return f"trust:endpoint:{endpoint}:slot:{shard % at_once}"


def split_rate(per_minute: float | None, at_once: int) -> float | None:
    """Each running shard's share of an endpoint's requests_per_minute budget."""
    return None if per_minute is None else per_minute / at_once


def last_tick(schedule: ScheduleConfig, now: datetime) -> int | None:
    """The newest scheduled time at or before ``now`` (whole seconds since the epoch, UTC); None without one.

    Interval schedules tick on multiples of the interval since the epoch, so every replica computes the same
    ticks without talking to the others."""
    if schedule.interval is not None:
        step = max(1, round(schedule.interval))
        return math.floor(now.timestamp() / step) * step
    if schedule.cron is not None:
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(schedule.cron, timezone="UTC")
        # the newest fire time ≤ now: look back over a window doubled until it holds one, then step forward
        gap = 60.0
        while gap < 400 * 86400:
            fire = trigger.get_next_fire_time(None, datetime.fromtimestamp(now.timestamp() - gap, UTC))
            if fire is not None and fire <= now:
                while True:
                    following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
                    if following is None or following > now:
                        return int(fire.timestamp())
                    fire = following
            gap *= 2
    return None


def next_tick(schedule: ScheduleConfig, now: datetime) -> float | None:
    """Seconds from ``now`` to the next scheduled time after it."""
    if schedule.interval is not None:
        step = max(1, round(schedule.interval))
        return (math.floor(now.timestamp() / step) + 1) * step - now.timestamp()
    if schedule.cron is not None:
        from apscheduler.triggers.cron import CronTrigger

        fire = CronTrigger.from_crontab(schedule.cron, timezone="UTC").get_next_fire_time(None, now)
        if fire is not None and fire <= now:
            fire = CronTrigger.from_crontab(schedule.cron, timezone="UTC").get_next_fire_time(fire, fire)
        return None if fire is None else max(0.0, (fire - now).total_seconds())
    return None


def tick_run_id(endpoint: str, tick: int) -> str:
    """The id of the run a scheduled tick starts: the same on every replica, so the run is created once."""
    return hashlib.sha256(f"trust-monitor tick {endpoint} {tick}".encode()).hexdigest()[:32]
