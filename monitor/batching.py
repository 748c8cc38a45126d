"""Micro-batches: callers hand over one item each and wait for its result; items that arrive together are
processed in one call, off the event loop.

Used for the run's store writes (every answer is committed before it counts as done, and answers that arrive
together share a transaction: a process killed at any instant loses only the answers whose commit had not
returned, at most monitor.runner.COMMITS_PER_SLOT per request slot, beside one in hand per worker) and for
scorers with a batch entry point (the S.1/S.3 classifier reads a batch of answers for about the cost of one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class MicroBatch(Generic[T, R]):
    def __init__(self, process: Callable[[list[T]], Sequence[R]], *, linger_s: float = 0.0,
                 executor: Executor | None = None) -> None:
        self._process = process  # one call at a time, in ``executor`` (default: asyncio's)
        self._linger_s = linger_s  # how long a batch waits for more to join it
        self._executor = executor
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def submit(self, item: T) -> R:
        """``item``'s result, once the batch holding it is processed; raises what processing raised. Cancelling
        the caller does not withdraw the item: it is processed with the others (see :meth:`drain`)."""
        return await asyncio.shield(self.put(item))

    def put(self, item: T) -> asyncio.Future[R]:
        """Hand ``item`` over without waiting: the future gets its result (or what processing raised) once the
        batch holding it is processed. Do not cancel it; :meth:`drain` waits for it too."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._run(), name="micro-batch")
        return future

    async def drain(self) -> None:
        """Wait until everything handed over so far is processed (or has failed)."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)

    async def _run(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            await self._batches(batch)
        except asyncio.CancelledError:  # the loop is closing: no waiter is left waiting for ever
            for _, future in [*batch, *self._pending]:
                future.cancel()
            self._pending = []
            raise

    async def _batches(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            if self._linger_s:
                await asyncio.sleep(self._linger_s)
            batch[:], self._pending = self._pending, []
            try:
                results = await loop.run_in_executor(self._executor, self._process, [item for item, _ in batch])
            except Exception as exc:  # each waiter hears of it; the next batch is tried on its own
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            self.items += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
