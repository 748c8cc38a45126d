"""A long-lived loop on the event loop, started with its owner and cancelled when the owner stops."""

from __future__ import annotations

import asyncio
from typing import ClassVar


class LoopTask:
    """Mixin: :meth:`start` runs ``self._loop()`` as one task named :attr:`task_name`; :meth:`stop` cancels it and
    waits for it to end."""

    task_name: ClassVar[str]
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.task_name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        raise NotImplementedError
