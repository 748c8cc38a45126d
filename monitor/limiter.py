"""An endpoint's adaptive concurrency limit: additive increase, multiplicative decrease on rate limiting.

Vendors limit requests per minute and answer 429 (or 529, RESOURCE_EXHAUSTED) with ``Retry-After`` beyond it. A
fixed concurrency either leaves capacity unused or keeps hitting the limit, and retries then fail for good.
:class:`AdaptiveLimit` holds the number of requests an endpoint may have in flight:

* it starts at the configured ``concurrency`` (the ceiling) and never goes above it;
* every ``limit`` clean replies in a row raise it by one (additive increase);
* a rate-limited reply cuts it to ``limit × DECREASE`` (at least 1), once per episode: rate-limited replies to
  requests sent before the last cut (in flight when it happened) do not cut again (without the send time:
  none within ``DEBOUNCE_S`` of it);
* ``Retry-After`` pauses new requests to the endpoint until it has passed;
* other errors (5xx, timeouts) leave the limit alone: an unhealthy endpoint is the retries' business.

A request holds a slot only while it is in flight: the runner releases it before backing off for a retry.

With a fixed budget (``requests_per_minute``), requests are also spaced by a generic cell rate algorithm: one
every 60/budget seconds on average, with a burst of at most a second's worth (at least one); each caller reserves
its send time before it waits, so waiters go in order and the budget holds however many wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DECREASE = 0.7
DEBOUNCE_S = 1.0
MAX_PAUSE_S = 60.0  # a Retry-After longer than this is capped


class RequestBudget:
    """At most ``per_minute`` requests a minute on average, a burst of a second's worth."""

    def __init__(self, per_minute: float) -> None:
        self.interval = 60.0 / per_minute
        self.burst = max(1, int(per_minute / 60))
        self._tat = float("-inf")  # theoretical arrival time of the next request

    async def take(self) -> None:
        now = time.monotonic()
        tat = max(self._tat, now)
        self._tat = tat + self.interval  # reserved before waiting: later callers queue behind
        wait = tat - (self.burst - 1) * self.interval - now
        if wait > 0:
            await asyncio.sleep(wait)


class AdaptiveLimit:
    def __init__(self, ceiling: int, on_change: Callable[[int], None] | None = None,
                 per_minute: float | None = None) -> None:
        self.ceiling = max(1, ceiling)
        self.per_minute = per_minute
        self.budget = RequestBudget(per_minute) if per_minute else None
        self.limit = self.ceiling
        self.in_flight = 0
        self._clean = 0
        self._last_cut = float("-inf")
        self._not_before = 0.0
        self._cond = asyncio.Condition()
        self._on_change = on_change
        if on_change is not None:
            on_change(self.limit)

    async def acquire(self) -> float:
        """Wait for a slot (and for any Retry-After pause to pass); returns when it was granted (give it back to
        :meth:`release`)."""
        # a deadline, not an event: a pause may be extended while we sleep
        while (pause := self._not_before - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(pause)
        if self.budget is not None:  # before the slot: no slot is held idle while the budget makes us wait
            await self.budget.take()
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
        return time.monotonic()

    async def release(self, *, rate_limited: bool = False, ok: bool = False, retry_after: float | None = None,
                      since: float | None = None) -> None:
        """Give the slot back, saying how the request went; ``since``: what :meth:`acquire` returned. A request
        sent before the last cut belongs to that episode and does not cut again."""
        now = time.monotonic()
        async with self._cond:
            self.in_flight -= 1
            if rate_limited:
                self._clean = 0
                if retry_after is not None and retry_after > 0:
                    self._not_before = max(self._not_before, now + min(retry_after, MAX_PAUSE_S))
                if (since > self._last_cut) if since is not None else (now - self._last_cut > DEBOUNCE_S):
                    self._last_cut = now
                    self._set(max(1, int(self.limit * DECREASE)))
            elif ok:
                self._clean += 1
                if self._clean >= self.limit and self.limit < self.ceiling:
                    self._clean = 0
                    self._set(self.limit + 1)
            self._cond.notify(max(0, self.limit - self.in_flight))

    def _set(self, limit: int) -> None:
        if limit != self.limit:
            self.limit = limit
            if self._on_change is not None:
                self._on_change(limit)
