"""Run lifecycle events: one in-process bus that metrics, the API (WatchRun) and logs subscribe to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

log = logging.getLogger(__name__)

# Event kinds
RUN_QUEUED = "queued"
RUN_STARTED = "started"
SAMPLE_DONE = "progress"
RUN_FINISHED = "finished"
MODEL_CHANGED = "model_changed"
ENDPOINT_CHECKED = "endpoint_checked"  # a model-identity read between runs (outcome: "ok" or an ErrorKind value)
REGRESSION = "regression"  # a finished run was judged against its reference (message: the verdicts in brief)
# stored (Store.add_event) only: what a restart did with an interrupted run (monitor.recovery)
RUN_RESUMED = "run_resumed"
RUN_NOT_RESUMED = "run_not_resumed"


@dataclass(frozen=True)
class Event:
    kind: str
    endpoint: str
    run_id: str | None = None
    status: str = ""
    trigger: str = ""
    total: int = 0
    done: int = 0
    errors: int = 0
    task: str = ""
    outcome: str = ""  # for SAMPLE_DONE: "ok" or an ErrorKind value
    latency_s: float | None = None
    duration_s: float | None = None
    message: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


Listener = Callable[[Event], None]
Processor = Callable[[Event], Awaitable[None]]


class EventBus:
    """Synchronous listeners plus per-run async watchers. A failing listener is logged, never fatal.

    A processor is async work that must be done with an event before anyone hears of it: when a run finishes,
    the regression verdicts and the published scores are brought up to date before the ``finished`` event
    reaches metrics and watchers. Processors of a kind run in the order they were added, on :meth:`deliver`.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._watchers: dict[str, list[asyncio.Queue[Event]]] = {}
        self._processors: dict[str, list[Processor]] = {}

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def process(self, kind: str, processor: Processor) -> None:
        self._processors.setdefault(kind, []).append(processor)

    async def deliver(self, event: Event) -> None:
        """Run the event's processors (a failing one is logged, never fatal), then publish it."""
        for processor in self._processors.get(event.kind, []):
            try:
                await asyncio.shield(processor(event))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("processing %s of run %s failed", event.kind, event.run_id)
        self.publish(event)

    def publish(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %s", listener, event.kind)
        if event.run_id is None:
            return
        for queue in self._watchers.get(event.run_id, []):
            if queue.full() and event.kind == SAMPLE_DONE:
                continue  # a slow watcher misses progress ticks, never the final event
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def watch(self, run_id: str, maxsize: int = 1000) -> Watch:
        """Subscribe now (so nothing published after this call is missed); iterate until RUN_FINISHED."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self._watchers.setdefault(run_id, []).append(queue)
        return Watch(self, run_id, queue)

    def _unwatch(self, run_id: str, queue: asyncio.Queue[Event]) -> None:
        queues = self._watchers.get(run_id, [])
        if queue in queues:
            queues.remove(queue)
        if not queues:
            self._watchers.pop(run_id, None)


class Watch:
    """One watcher of one run; use as ``with bus.watch(id) as w: async for e in w: ...``."""

    def __init__(self, bus: EventBus, run_id: str, queue: asyncio.Queue[Event]) -> None:
        self._bus, self._run_id, self._queue = bus, run_id, queue

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._bus._unwatch(self._run_id, self._queue)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            yield event
            if event.kind == RUN_FINISHED:
                return
