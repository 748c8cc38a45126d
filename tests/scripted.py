"""An in-process endpoint for unit tests of the runner, run manager and scheduler (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from monitor.adapters import AdapterError, ModelIdentity, ProbeRequest, Reply


class ScriptedAdapter:
    """Answers per request id from a script function; records concurrency."""

    endpoint = "scripted"

    def __init__(self, script: Callable[[str, int], str | AdapterError], delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.calls: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    async def identity(self) -> ModelIdentity:
        return ModelIdentity("scripted-model", "7", "abc")

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        n = self.calls[request.request_id] = self.calls.get(request.request_id, 0) + 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            out = self.script(request.request_id, n)
        finally:
            self.in_flight -= 1
        if isinstance(out, AdapterError):
            raise out
        return Reply(out)

    async def close(self) -> None:
        pass
