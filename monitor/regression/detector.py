"""The decision: per task, sub-dimension, dimension and overall, is the run under test worse than its reference?

Pure and synchronous (arrays in, verdicts out): the service, the release gate (``compare``), ``power`` and the
simulation all call :func:`detect`, so the figures of ``python -m monitor.regression.simulate`` are the figures
of this code.

Per run, every (group, window) with enough paired items is one hypothesis "no drop"; Holm's procedure over all of
them keeps the chance of any false ``regressed`` verdict in a run of an unchanged model below ``alpha``, so the
mean number of runs between false alarms is at least 1/alpha. Rises are a second family at the same level
(reported, never alerted). A group is ``regressed`` when a window's drop is significant **and** at least
``min_effect``; ``inconclusive`` when no window has ``min_paired`` paired scored items.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from monitor.regression.items import TASK, Group, ItemIndex
from monitor.regression.stats import PairedResult, evidence, group_tests, holm_adjusted, metric_test
from monitor.store.records import Verdict, VerdictRecord
from probes.aggregators import get_batched_metric

PAIRED_EXACT = "paired-exact"
METRIC_BOOTSTRAP = "metric-bootstrap"


@dataclass(frozen=True)
class Settings:
    alpha: float = 1e-4  # per-run family-wise level: 1 / (mean runs between false alarms)
    min_effect: float = 0.05  # drops smaller than this are never a regression
    min_paired: int = 10  # fewer paired scored items: inconclusive
    metric_resamples: int = 200  # bootstrap resamples of a task-level metric


@dataclass
class WindowData:
    """One window, ready to test: the newest outcome of each item in the window and the reference's outcomes."""

    length: int
    current: np.ndarray  # newest score per item over the window's runs (NaN: none)
    ref_sum: np.ndarray  # reference passes per item (scores >= 0.5)
    ref_count: np.ndarray  # reference outcomes per item
    reference: tuple[str, ...]  # reference run ids, newest first
    metric_reference: np.ndarray | None = None  # newest reference run's scores (for metric tasks)
    metric_reference_id: str = ""

    @classmethod
    def build(cls, window_values: Sequence[np.ndarray], reference_values: Sequence[np.ndarray],
              reference: Sequence[str]) -> WindowData:
        """``window_values`` newest first; ``reference_values`` in the order of ``reference`` (newest first)."""
        current = window_values[0].copy()
        for older in window_values[1:]:
            missing = np.isnan(current)
            if not missing.any():
                break
            current[missing] = older[missing]
        stacked = np.vstack(reference_values)
        scored = ~np.isnan(stacked)
        ref_sum = ((stacked >= 0.5) & scored).sum(axis=0)
        ref_count = scored.sum(axis=0)
        return cls(len(window_values), current, ref_sum, ref_count, tuple(reference), reference_values[0],
                   reference[0])


@dataclass
class _Test:
    group: int
    window: int
    result: PairedResult
    method: str
    reference: tuple[str, ...]
    p_drop_adj: float = 1.0
    p_rise_adj: float = 1.0


def evaluated_groups(index: ItemIndex, tasks: Collection[str], scope: Collection[str]) -> list[int]:
    """Groups a run can be judged on: a task it measured, or a group all of whose tasks in ``scope`` (the tasks
    the endpoint runs) it measured. A partial run leaves the other groups' verdicts as they were."""
    out: list[int] = []
    for i, g in enumerate(index.groups):
        if g.level == TASK:
            if g.task in tasks:
                out.append(i)
            continue
        wanted = [t for t in g.tasks if t in scope]
        if wanted and all(t in tasks for t in wanted):
            out.append(i)
    return out


def detect(index: ItemIndex, windows: Sequence[WindowData], *, tasks: Collection[str], scope: Collection[str],
           settings: Settings, seed: str = "") -> list[VerdictRecord]:
    """Verdicts of the run under test (the newest run of every window) on each group it can be judged on."""
    groups = evaluated_groups(index, tasks, scope)
    metric_groups = {i for i in groups if index.groups[i].level == TASK and index.groups[i].task in index.metric_tasks}
    tests: list[_Test] = []
    for wi, window in enumerate(windows):
        paired = ~np.isnan(window.current) & (window.ref_count > 0) & index.outcome
        y = np.where(paired, window.current >= 0.5, False)
        results = group_tests(y, window.ref_sum, window.ref_count, paired, index.pair_items, index.offsets)
        for g in groups:
            if g in metric_groups:
                continue
            if results[g].n_paired >= settings.min_paired:
                tests.append(_Test(g, wi, results[g], PAIRED_EXACT, window.reference))
    if windows:
        tests.extend(_metric_tests(index, windows[0], metric_groups, settings, seed))

    for attr, side in (("p_drop_adj", "p_drop"), ("p_rise_adj", "p_rise")):
        adjusted = holm_adjusted([getattr(t.result, side) for t in tests])
        for t, p in zip(tests, adjusted, strict=True):
            setattr(t, attr, p)

    by_group: dict[int, list[_Test]] = {}
    for t in tests:
        by_group.setdefault(t.group, []).append(t)
    lengths = [w.length for w in windows]
    return [_verdict(index.groups[g], by_group.get(g, []), lengths, settings) for g in groups]


def _metric_tests(index: ItemIndex, window: WindowData, groups: set[int], settings: Settings,
                  seed: str) -> list[_Test]:
    """Metric tasks: the run's own metric against the newest reference run's, on the items both scored."""
    out: list[_Test] = []
    if window.metric_reference is None:
        return out
    for g in sorted(groups):
        group = index.groups[g]
        task = index.catalogue[group.task]
        assert task.aggregator is not None
        fn = get_batched_metric(task.aggregator)
        assert fn is not None
        items = index.task_items(group.task)
        cur, ref = window.current[items], window.metric_reference[items]
        both = ~np.isnan(cur) & ~np.isnan(ref)
        if int(both.sum()) < settings.min_paired:
            continue
        chosen = items[both]
        metric = partial(fn, [task.samples_by_id[index.keys[i][2]] for i in chosen])
        digest = hashlib.sha256(f"{seed}:{group.task}".encode()).digest()
        result = metric_test(metric, cur[both], ref[both], index.clusters[chosen], settings.metric_resamples,
                             int.from_bytes(digest[:8], "big"))
        if result is not None:
            out.append(_Test(g, 0, result, METRIC_BOOTSTRAP, (window.metric_reference_id,)))
    return out


def _verdict(group: Group, tests: list[_Test], lengths: list[int], settings: Settings) -> VerdictRecord:
    if not tests:
        return VerdictRecord(group.level, group.name, group.dimension, group.subdimension, group.task,
                             Verdict.INCONCLUSIVE,
                             reason=f"fewer than {settings.min_paired} paired scored samples against a reference")
    alpha, effect = settings.alpha, settings.min_effect
    regressed = [t for t in tests if t.p_drop_adj <= alpha and t.result.delta <= -effect]
    improved = [t for t in tests if t.p_rise_adj <= alpha and t.result.delta >= effect]
    strongest = min(tests, key=lambda t: (t.p_drop_adj, t.result.p_drop))
    if regressed:
        verdict, shown = Verdict.REGRESSED, min(regressed, key=lambda t: (t.p_drop_adj, t.result.p_drop))
    elif improved:
        verdict, shown = Verdict.IMPROVED, min(improved, key=lambda t: (t.p_rise_adj, t.result.p_rise))
    else:
        verdict, shown = Verdict.OK, min(tests, key=lambda t: lengths[t.window])
    r = shown.result
    return VerdictRecord(
        group.level, group.name, group.dimension, group.subdimension, group.task, verdict,
        delta=r.delta, ci_low=r.ci_low, ci_high=r.ci_high, p_value=r.p_drop,
        adjusted_p=strongest.p_drop_adj, evidence=evidence(strongest.p_drop_adj), n_paired=r.n_paired,
        window=lengths[shown.window], reference=list(shown.reference), method=shown.method,
        reason="" if math.isfinite(r.delta) else "undefined metric",
    )
