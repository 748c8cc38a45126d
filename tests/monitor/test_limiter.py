"""The adaptive concurrency limit: cut once per rate-limit episode, grow back while clean, honour Retry-After."""

from __future__ import annotations

import asyncio
import time

import pytest

from monitor import limiter
from monitor.limiter import AdaptiveLimit


async def test_cut_once_per_episode_and_grow_back_while_clean() -> None:
    seen: list[int] = []
    limit = AdaptiveLimit(8, seen.append)
    sent = [await limit.acquire() for _ in range(3)]  # three 429s of one episode (in flight together): one cut
    for since in sent:
        await limit.release(rate_limited=True, since=since)
    cut = int(8 * limiter.DECREASE)
    assert limit.limit == cut and seen == [8, cut]
    since = await limit.acquire()  # sent after the cut: a new episode
    await limit.release(rate_limited=True, since=since)
    assert limit.limit == int(cut * limiter.DECREASE)
    for _ in range(100):
        since = await limit.acquire()
        await limit.release(ok=True, since=since)
    assert limit.limit == 8 and seen[-1] == 8  # grown back, never above the configured concurrency
    assert seen[3:] == list(range(seen[2] + 1, 9))  # one step at a time


async def test_ordinary_errors_leave_the_limit_alone() -> None:
    limit = AdaptiveLimit(4)
    for _ in range(10):
        await limit.acquire()
        await limit.release()
    assert limit.limit == 4 and limit.in_flight == 0


async def test_requests_wait_for_a_slot_and_for_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limiter, "DEBOUNCE_S", 0.0)
    limit = AdaptiveLimit(2)
    await limit.acquire()
    await limit.acquire()
    third = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0.01)
    assert not third.done()  # both slots taken
    await limit.release(rate_limited=True, retry_after=0.2)  # limit 2 -> 1, one still in flight
    await asyncio.sleep(0.01)
    assert not third.done()
    t0 = time.monotonic()
    await limit.release(ok=True)
    await third
    assert limit.in_flight == 1
    fourth = asyncio.ensure_future(limit.acquire())  # a new request waits out the Retry-After pause
    await limit.release(ok=True)
    await fourth
    assert time.monotonic() - t0 >= 0.15


async def test_a_fixed_budget_spaces_requests_after_a_burst_of_a_seconds_worth() -> None:
    limit = AdaptiveLimit(64, per_minute=1200)  # 20 a second: a burst of 20, then one every 50 ms
    sent: list[float] = []

    async def one() -> None:
        await limit.acquire()
        sent.append(time.monotonic())
        await limit.release(ok=True)

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(40)))
    offsets = sorted(t - t0 for t in sent)
    assert offsets[19] < 0.3  # the burst goes at once (generous: a loaded machine delays the loop)
    # never faster than the budget: the k-th request after the burst no earlier than k × 50 ms (a loaded machine
    # may make any of them later, never earlier)
    assert all(offsets[19 + k] >= k * 0.05 - 0.005 for k in range(1, 21)), offsets
    assert offsets[-1] < 3.0
