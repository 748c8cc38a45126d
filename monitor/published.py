"""What is published for an endpoint (/metrics, GetScores without a run id): only what is true now.

- Each task shows the newest run that scored it reliably (at most ``suite.max_error_share`` of its requests
  failed), with that run's time: a partial run updates what it measured and nothing else.
- Sub-dimension, dimension and overall scores come only from a complete set of their tasks (the tasks the
  endpoint runs), each task's score no older than ``suite.max_score_age``; otherwise they are absent and the
  view says why.
- Regression verdicts: per group, the newest run judged on it.

Computed from the store alone, so a restart publishes exactly what was published before it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor import events
from monitor.adapters import ModelIdentity
from monitor.aggregation import Aggregate, aggregate
from monitor.background import LoopTask
from monitor.config import Config
from monitor.metrics import Metrics
from monitor.store import RunRecord, RunStatus, ScoredTask, Store, VerdictRecord
from probes.catalogue import Task

log = logging.getLogger(__name__)

PUBLISHED = [RunStatus.SUCCEEDED, RunStatus.DEGRADED, RunStatus.STOPPED]
REFRESH_S = 60.0  # scores age out of the groups without any run finishing: look again this often


@dataclass
class PublishedScores:
    endpoint: str
    tasks: dict[str, ScoredTask]  # task -> its newest reliable score
    aggregate: Aggregate
    verdicts: dict[tuple[str, str], tuple[str, VerdictRecord]]  # (level, name) -> (run id, newest verdict)


def describe_age(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


class Publisher(LoopTask):
    task_name = "publisher-refresh"

    def __init__(self, config: Config, store: Store, metrics: Metrics, catalogue: Mapping[str, Task],
                 scope: Callable[[str], list[str]]) -> None:
        self.config = config
        self.store = store
        self.metrics = metrics
        self.catalogue = catalogue
        self.scope = scope
        self._lock = threading.Lock()  # one publication at a time (run ends, the refresh loop, SetBaseline)

    def view(self, endpoint: str, now: datetime | None = None) -> PublishedScores:
        now = now or datetime.now(UTC)
        limit = self.config.suite.max_score_age
        tasks = self.store.latest_task_scores(endpoint, PUBLISHED, self.config.suite.max_error_share,
                                              wanted=self.catalogue)
        stale: dict[str, str] = {}
        for tid, scored in tasks.items():
            age = (now - scored.finished_at).total_seconds() if scored.finished_at is not None else None
            if age is None or age > limit:
                stale[tid] = (f"last scored {describe_age(age)} ago, older than suite.max_score_age "
                              f"({describe_age(limit)})" if age is not None else "score has no finish time")
        scope = self.scope(endpoint)
        for tid in scope:
            if tid not in tasks:
                stale[tid] = "has no score yet (no run scored it with at most suite.max_error_share failed)"
        agg = aggregate(self.catalogue, [s.score for s in tasks.values()], scope, stale)
        verdicts = {k: v for k, v in self.store.latest_verdicts(endpoint).items()
                    if not v[1].task or v[1].task in self.catalogue}
        return PublishedScores(endpoint, tasks, agg, verdicts)

    def publish(self, endpoint: str) -> None:
        with self._lock:
            self.metrics.set_published(self.view(endpoint), self.catalogue)

    def restore(self) -> None:
        """At start-up: publish every endpoint from the store, with the model of its newest run and the time its
        last successful run finished (later, runs and identity checks keep those up to date)."""
        for ep in self.config.endpoints:
            self.publish(ep.name)
            newest = self.store.list_runs(ep.name, 1)
            # usually the newest run is a successful, identified one and answers both questions (one read, not two)
            if newest and newest[0].status == RunStatus.SUCCEEDED and newest[0].model:
                seen: RunRecord | None = newest[0]
                succeeded = newest
            else:
                seen = next(iter(self.store.list_runs(ep.name, 1, identified=True)), None)
                succeeded = self.store.list_runs(ep.name, 1, statuses=[RunStatus.SUCCEEDED])
            if seen is not None:
                self.metrics.set_model(ep.name, ModelIdentity(seen.model, seen.model_version, seen.model_fingerprint))
            if succeeded and succeeded[0].finished_at is not None:
                self.metrics.last_run.labels(ep.name).set(succeeded[0].finished_at.timestamp())
                self.metrics.changed()

    async def on_finished(self, event: events.Event) -> None:
        await asyncio.to_thread(self.publish, event.endpoint)

    async def _loop(self) -> None:  # scores age out of reliability: published again from time to time
        interval = min(REFRESH_S, max(1.0, self.config.suite.max_score_age / 10))
        while True:
            await asyncio.sleep(interval)
            for ep in self.config.endpoints:
                try:
                    await asyncio.to_thread(self.publish, ep.name)
                except Exception:
                    log.exception("re-publishing the scores of %s failed", ep.name)
