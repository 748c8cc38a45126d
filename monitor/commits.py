"""Group commit: every answer is stored before it counts as done, and answers that arrive together share a
transaction.

A worker hands its result to :meth:`GroupCommit.commit` and waits there until the transaction holding it has
committed; only then is the item acknowledged (progress, events, metrics). One writer at a time drains whatever
is pending, off the event loop, so a busy run commits a handful of results per transaction and a quiet one
commits each at once. A process killed at any instant loses only the answers whose commit had not returned:
at most one per worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], None], linger_s: float = 0.0) -> None:
        self._write = write  # runs in a worker thread, one call at a time
        self._linger_s = linger_s  # how long a writer waits for more to join a transaction
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.transactions = 0
        self.stored = 0

    async def commit(self, item: T) -> None:
        """Return once ``item`` is stored; raise what the write raised if its transaction failed. Cancelling
        the caller does not withdraw the item: it is still written with the others (see :meth:`drain`)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain(), name="group-commit")
        await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything handed over so far is written (or has failed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        while self._pending:
            if self._linger_s:
                await asyncio.sleep(self._linger_s)
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._write, [item for item, _ in batch])
            except Exception as exc:  # each waiter hears of it; the next batch is tried on its own
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.transactions += 1
            self.stored += len(batch)
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
