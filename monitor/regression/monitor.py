"""Regression detection in the service: after every run, judge it against its reference and store the verdicts.

Fed by the run-finished event (a bus processor, so the verdicts are stored before anyone hears that the run
finished); feeds the store (verdicts, a ``regression`` event), the bus (a ``regression`` event that WatchRun
streams) and, through the published view, the metrics. The runner and the adapters know nothing of it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from monitor import events
from monitor.config import Config
from monitor.regression.detector import Settings, WindowData, detect
from monitor.regression.items import ItemIndex
from monitor.regression.reference import RunInfo, Window, plan
from monitor.store import RunRecord, RunStatus, Store, TaskScoreRecord, Verdict, VerdictRecord, run_verdict
from probes.catalogue import Task

log = logging.getLogger(__name__)

# runs whose answers are judged: every item was attempted (or a limit stopped the run cleanly)
JUDGED = [RunStatus.SUCCEEDED, RunStatus.DEGRADED, RunStatus.STOPPED]


def reliable_tasks(scores: Sequence[TaskScoreRecord], max_error_share: float) -> set[str]:
    """Tasks a run measured reliably: something scored, and at most ``max_error_share`` of requests failed."""
    out: set[str] = set()
    for s in scores:
        attempted = s.n_scored + s.n_errors + s.n_unscorable
        if s.n_scored > 0 and s.n_errors <= max_error_share * attempted:
            out.add(s.task)
    return out


def settings_of(config: Config, *, gate: bool = False) -> Settings:
    cfg = config.regression
    alpha = cfg.gate_alpha if gate else 1.0 / cfg.false_alarm_runs
    return Settings(alpha=alpha, min_effect=cfg.min_effect, min_paired=cfg.min_paired)


class RegressionMonitor:
    def __init__(self, config: Config, store: Store, catalogue: Mapping[str, Task],
                 scope: Callable[[str], list[str]], bus: events.EventBus | None = None) -> None:
        self.config = config
        self.store = store
        self.scope = scope
        self.bus = bus
        self.index = ItemIndex.build(catalogue)
        self._values: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # runs of different endpoints finish (and are judged) in parallel threads
        self._cache_size = max(64, 2 * (config.regression.reference_runs + max(config.regression.windows))
                               * max(1, len(config.endpoints)))

    # -- the service hook ---------------------------------------------------------------------------------
    async def on_finished(self, event: events.Event) -> None:
        if not self.config.regression.enabled or event.run_id is None:
            return
        if event.status not in {s.value for s in JUDGED}:
            return
        verdicts = await asyncio.to_thread(self.analyse, event.run_id)
        if verdicts is not None and self.bus is not None:
            self.bus.publish(events.Event(events.REGRESSION, event.endpoint, event.run_id, status=event.status,
                                          trigger=event.trigger, message=summary(verdicts)))

    # -- analysis ------------------------------------------------------------------------------------------
    def analyse(self, run_id: str) -> list[VerdictRecord] | None:
        """Judge a finished run against its reference; stores and returns the verdicts (None: not judged)."""
        record = self.store.get_run(run_id)
        if record is None or record.status not in JUDGED:
            return None
        scores = self.store.task_scores(run_id)
        tasks = reliable_tasks(scores, self.config.suite.max_error_share)
        windows, why_none = self.windows(record)
        data = self.window_data(windows)
        scope = set(self.scope(record.endpoint)) & set(self.index.catalogue)
        verdicts = detect(self.index, data, tasks=tasks, scope=scope, settings=settings_of(self.config),
                          seed=run_id)
        if not windows:
            verdicts = [replace(v, reason=why_none) for v in verdicts]
        self.store.save_verdicts(run_id, verdicts)
        regressed = [v for v in verdicts if v.verdict is Verdict.REGRESSED]
        detail: dict[str, object] = {
            "verdict": run_verdict(verdicts),
            "counts": {k.value: sum(1 for v in verdicts if v.verdict is k) for k in Verdict},
            "regressed": [{"level": v.level, "name": v.name, "delta": v.delta, "evidence": v.evidence}
                          for v in regressed],
            "reference": list(windows[0].reference) if windows else [],
            "reference_frozen": bool(windows and windows[0].frozen),
            "windows": [len(w.runs) for w in windows],
        }
        self.store.add_event(events.REGRESSION, record.endpoint, run_id, detail)
        log.log(logging.WARNING if regressed else logging.INFO, "run %s on %s: %s (reference: %d run(s)%s)", run_id,
                record.endpoint, summary(verdicts), len(windows[0].reference) if windows else 0,
                ", pinned or from before a model change" if windows and windows[0].frozen else "")
        return verdicts

    def windows(self, record: RunRecord) -> tuple[list[Window], str]:
        """The run's windows and references (see monitor.regression.reference), or why there are none."""
        cfg = self.config.regression
        limit = 2 * cfg.reference_runs + 3 * max(cfg.windows) + 20
        rows = self.store.run_history(record.endpoint, suite_version=record.suite_version, profile=record.profile,
                                      statuses=JUDGED, before=record, limit=limit)
        history = [RunInfo(r.id, (r.model, r.model_version, r.model_fingerprint),
                           r.status is RunStatus.SUCCEEDED and not flagged and r.id != record.id)
                   for r, flagged in reversed(rows)]
        pinned: RunInfo | None = None
        baseline_id = self.store.get_baseline(record.endpoint)
        if baseline_id is not None:
            base = self.store.get_run(baseline_id)
            if base is None:
                return [], f"the baseline run {baseline_id} no longer exists"
            if (base.suite_version, base.profile) != (record.suite_version, record.profile):
                return [], (f"the baseline run {base.id} is of suite {base.suite_version} ({base.profile}), this "
                            f"run of {record.suite_version} ({record.profile}): set a new baseline")
            pinned = RunInfo(base.id, (base.model, base.model_version, base.model_fingerprint), True)
        windows = plan(history, windows=cfg.windows, reference_runs=cfg.reference_runs, pinned=pinned)
        if not windows:
            if pinned is not None:
                return [], f"the baseline run {pinned.id} is this run itself"
            return [], "no reference run yet: the endpoint's first run of this suite, or every earlier run regressed"
        return windows, ""

    def window_data(self, windows: Sequence[Window]) -> list[WindowData]:
        needed = list(dict.fromkeys(r for w in windows for r in (*w.runs, *w.reference)))
        values = self.values(needed)
        return [WindowData.build([values[r] for r in w.runs], [values[r] for r in w.reference], w.reference)
                for w in windows]

    def values(self, run_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Per-item scores of finished runs (cached: a finished run's results never change)."""
        with self._lock:
            missing = [r for r in run_ids if r not in self._values]
        loaded = {run_id: self.index.values(rows) for run_id, rows in self.store.scores_of_runs(missing).items()}
        with self._lock:
            self._values.update(loaded)
            out: dict[str, np.ndarray] = {}
            for r in run_ids:
                self._values.move_to_end(r)
                out[r] = self._values[r]
            while len(self._values) > self._cache_size:
                self._values.popitem(last=False)
        return out


def summary(verdicts: Sequence[VerdictRecord]) -> str:
    """The verdicts in one line: what regressed (task ids and group names only, never prompts), then counts."""
    regressed = [v for v in verdicts if v.verdict is Verdict.REGRESSED]
    counts = ", ".join(f"{sum(1 for v in verdicts if v.verdict is k)} {k.value}" for k in
                       (Verdict.OK, Verdict.IMPROVED, Verdict.INCONCLUSIVE) if any(v.verdict is k for v in verdicts))
    if not regressed:
        return f"no regression ({counts})" if counts else "nothing judged"
    parts = [f"{v.name} ({v.level}, {100 * (v.delta or 0):+.1f} points, evidence {v.evidence or 0:.1f})"
             for v in regressed]
    return f"regressed: {'; '.join(parts)}" + (f" ({counts})" if counts else "")
