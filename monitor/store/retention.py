"""Store retention: prune the per-sample rows of old runs, in the service (periodically) or on demand.

``store.retention`` (a duration) bounds how long the answers of a run are kept. A pass removes the
``sample_results`` rows of finished runs created longer ago than that, and the events older than it. It keeps every
run row, task score, verdict and baseline (the history and the published scores need nothing more), the samples a
reviewer gave a verdict on (exported as labelled answers), each endpoint's baseline run whole, and the samples of
the runs regression detection reads: per endpoint, suite version and profile, the newest runs it takes its windows
and references from (:func:`regression_history`), however old they are — an endpoint probed rarely keeps the
samples its next run is compared with.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from monitor.config import Config
from monitor.store.records import PruneReport, RunStatus
from monitor.store.store import Store, StoreError

log = logging.getLogger(__name__)

PERIOD_S = 3600.0  # a pass every hour (or a quarter of the retention, when that is shorter), and at start-up
MIN_PERIOD_S = 1.0
BATCH_ROWS = 500  # rows per delete transaction: the write lock is held for milliseconds at a time
PAUSE_S = 0.005  # between batches, so the runs' writes get the lock in between
# The run statuses regression detection judges and takes references from (monitor.regression.monitor.JUDGED).
REFERENCE_STATUSES = (RunStatus.SUCCEEDED, RunStatus.DEGRADED, RunStatus.STOPPED)


def regression_history(config: Config) -> int:
    """How many of an endpoint's newest judged runs (per suite version and profile) regression detection may read:
    the history ``RegressionMonitor.windows`` loads (tests/monitor/store/test_retention.py checks the two agree).
    0 with regression detection off."""
    cfg = config.regression
    if not cfg.enabled:
        return 0
    return 2 * cfg.reference_runs + 3 * max(cfg.windows) + 20


def describe(seconds: float) -> str:
    """A retention in the unit it was most likely written in: '30d', '12h', '20s'."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def prune(store: Store, config: Config, *, older_than: float | None = None, dry_run: bool = False,
          now: datetime | None = None, should_stop: Callable[[], bool] | None = None) -> PruneReport:
    """One pass: the per-sample rows of runs created more than ``older_than`` (default ``store.retention``)
    seconds before ``now``, and older events. Raises ValueError when neither gives a retention."""
    limit = config.store.retention if older_than is None else older_than
    if limit is None:
        raise ValueError("store.retention is not set: give it in the config (e.g. '30d') or say how old with "
                         "--older-than")
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=limit)
    return store.prune(cutoff, keep_newest=regression_history(config), keep_statuses=REFERENCE_STATUSES,
                       batch_size=BATCH_ROWS, pause_s=0.0 if dry_run else PAUSE_S, dry_run=dry_run,
                       should_stop=should_stop)


def summary(report: PruneReport, limit: float, *, dry_run: bool = False) -> str:
    """The counts of a pass in one line."""
    verb = "would prune" if dry_run else "pruned"
    return (f"store retention ({describe(limit)}): {verb} {report.samples} sample row(s) of {report.runs} run(s) "
            f"and {report.events} event(s); kept {report.reviewed_kept} reviewed sample(s) of those runs and the "
            f"samples of {report.runs_kept} older run(s) in use as baseline or regression reference "
            f"({report.seconds:.2f} s)")


class Retention:
    """Prunes the store at start-up and then every :data:`PERIOD_S` (a quarter of the retention when shorter), in
    a worker thread; does nothing when ``store.retention`` is not set. A failed pass (the store busy or full, say)
    is logged in one line and tried again at the next period."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.store = store
        self.passes = 0
        self.last: PruneReport | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = threading.Event()
        self._executor: ThreadPoolExecutor | None = None  # one thread, so stop() can wait for a pass in flight

    @property
    def period(self) -> float | None:
        limit = self.config.store.retention
        if limit is None:
            return None
        return max(MIN_PERIOD_S, min(PERIOD_S, limit / 4))

    def start(self, store: Store | None = None) -> None:
        """Start the passes (the first one now) on ``store`` (or the one given at construction)."""
        if store is not None:
            self.store = store
        if self.period is None or self._task is not None:
            return
        assert self.store is not None, "Retention.start needs a store"
        self._stopping.clear()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="retention")
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="store-retention")

    async def stop(self) -> None:
        """Stop the passes; a pass in flight ends at its next batch (before the store is closed)."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True)

    async def _loop(self) -> None:
        period = self.period
        assert period is not None
        while True:
            started = time.monotonic()
            assert self._executor is not None
            await asyncio.get_running_loop().run_in_executor(self._executor, self.run_once)
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))

    def run_once(self) -> PruneReport | None:
        """One pass, logged; None when it failed (logged as well)."""
        limit = self.config.store.retention
        assert limit is not None and self.store is not None
        try:
            report = prune(self.store, self.config, should_stop=self._stopping.is_set)
        except StoreError as exc:
            log.warning("store retention: pass failed, next try in %s: %s", describe(self.period or PERIOD_S), exc)
            return None
        except Exception:
            log.exception("store retention: pass failed")
            return None
        self.passes += 1
        self.last = report
        log.info("%s", summary(report, limit))
        return report
