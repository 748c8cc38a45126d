"""The arithmetic of distributed runs: shards, concurrency slots, ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitor.config import ScheduleConfig
from monitor.distributed import plan


@given(st.integers(0, 5000), st.integers(1, 700))
def test_shards_cover_the_plan_once(items: int, size: int) -> None:
    ranges = plan.shard_ranges(items, size)
    covered = [i for first, count in ranges for i in range(first, first + count)]
    assert covered == list(range(items))
    assert all(0 < count <= size for _, count in ranges)


@given(st.integers(1, 512), st.integers(1, 64))
def test_slots_never_exceed_the_endpoint_concurrency(concurrency: int, shards: int) -> None:
    at_once, each = plan.slots(concurrency, shards)
    assert 1 <= at_once <= shards and at_once * each <= concurrency
    assert each >= 1 and at_once * (each + 1) > concurrency  # nothing left over that another slot could use
    locks = {plan.slot_lock("ep", n, at_once) for n in range(1000)}
    assert len(locks) == at_once


def test_rate_budget_is_split_among_the_slots() -> None:
    assert plan.split_rate(None, 4) is None
    assert plan.split_rate(600.0, 4) == 150.0


def test_interval_ticks_are_aligned_and_the_same_everywhere() -> None:
    every = ScheduleConfig(interval="15m")
    now = datetime(2026, 12, 7, 6, 31, 17, tzinfo=UTC)
    assert datetime.fromtimestamp(plan.last_tick(every, now), UTC) == datetime(2026, 12, 7, 6, 30, tzinfo=UTC)
    assert plan.next_tick(every, now) == 13 * 60 + 43
    assert plan.last_tick(every, now) == plan.last_tick(every, now + timedelta(minutes=13))


def test_cron_ticks() -> None:
    hourly = ScheduleConfig(cron="5 * * * *")
    now = datetime(2026, 12, 7, 6, 31, 17, tzinfo=UTC)
    assert datetime.fromtimestamp(plan.last_tick(hourly, now), UTC) == datetime(2026, 12, 7, 6, 5, tzinfo=UTC)
    assert plan.next_tick(hourly, now) == 33 * 60 + 43
    yearly = ScheduleConfig(cron="0 0 1 1 *")
    assert datetime.fromtimestamp(plan.last_tick(yearly, now), UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    on_the_tick = datetime(2026, 12, 7, 6, 5, tzinfo=UTC)
    assert plan.last_tick(hourly, on_the_tick) == int(on_the_tick.timestamp())


def test_a_tick_names_its_run() -> None:
    a, b = plan.tick_run_id("ep", 100), plan.tick_run_id("ep", 200)
    assert a != b and a == plan.tick_run_id("ep", 100) and len(a) == 32 and int(a, 16) >= 0
    assert plan.tick_run_id("other", 100) != a
