"""What the report pages read: the store, the suite's catalogue and the endpoints' scope, and (in the service)
the regression monitor for the release-gate comparison. The room asks for these; it changes none of them except
the reviewer verdicts it stores."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.store import RunRecord, SampleResult, Store
from probes.catalogue import Task

if TYPE_CHECKING:
    from monitor.regression.monitor import RegressionMonitor


class ResultCache:
    """The results of the few runs read last, if they had finished (a finished run's results never change): a
    reviewer moving between filters and tasks of a run, against the same reference, reads them once."""

    def __init__(self, size: int = 6) -> None:
        self._size = size
        self._runs: OrderedDict[str, list[SampleResult]] = OrderedDict()
        self._lock = threading.Lock()

    def results(self, store: Store, run: RunRecord) -> list[SampleResult]:
        if not run.status.finished:
            return store.results(run.id)
        with self._lock:
            cached = self._runs.get(run.id)
            if cached is not None:
                self._runs.move_to_end(run.id)
                return cached
        rows = store.results(run.id)
        with self._lock:
            self._runs[run.id] = rows
            while len(self._runs) > self._size:
                self._runs.popitem(last=False)
        return rows


@dataclass(frozen=True)
class Sources:
    config: Config
    store: Store
    catalogue: Mapping[str, Task]
    suite_version: str
    scope: Callable[[str], list[str]]  # endpoint -> the tasks a complete set holds for it
    regression: RegressionMonitor | None = None  # None outside the service: no comparison page
    cache: ResultCache = field(default_factory=ResultCache)

    def results(self, run: RunRecord) -> list[SampleResult]:
        """A run's results (read once while it stays among the last few read, once it has finished)."""
        return self.cache.results(self.store, run)


def local_sources(config: Config, store: Store) -> Sources:
    """Sources for a command that reads the store itself (``runs report``): the same catalogue and scope as the
    service would use with this config (official data included), without starting anything."""
    from monitor import events
    from monitor.runs import RunManager

    runs = RunManager(config, store, events.EventBus(), {})

    def scope(endpoint: str) -> list[str]:
        ep = config.endpoint(endpoint)
        return list(runs.catalogue) if ep is None else runs.resolve_tasks(ep, None)

    return Sources(config, store, runs.catalogue, runs.suite_version, scope)
