"""How large a drop the shipped suite can see, and what a task would need: ``trust-monitor power``.

Three answers for one task and one drop, all from the real detector code:
- the chance that a full-suite run right after the change pages (the whole detector on a simulated endpoint,
  as in ``python -m monitor.regression.simulate``);
- with a rotating ``sampling.per_task`` subset, how many runs it takes (evidence grows as new samples arrive);
- how many paired items per run the task would need for a 95% first-run detection: the task's own paired test
  at its share of the run's false-alarm budget (Holm's first step: alpha / number of tests per run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from monitor.regression.detector import Settings
from monitor.regression.items import ItemIndex
from monitor.regression.simulate import FLIP, Params, Scenario, run_scenario
from monitor.regression.stats import group_tests
from probes.catalogue import all_tasks

TARGET = 0.95
MAX_ITEMS = 20_000


@dataclass
class PowerReport:
    task: str
    items_per_run: int
    samples: int
    variants: int
    drop: float
    base: float
    flip: float
    tests_per_run: int
    settings: Settings
    first_run: float  # detection probability in the first full-suite run after the change
    trials: int
    per_task: int | None
    rotation_detected: float | None  # share detected within ``rotation_runs``
    rotation_median: float | None
    rotation_p90: float | None
    rotation_runs: int
    items_needed: int | None  # paired items per run for TARGET first-run detection (None: more than MAX_ITEMS)


def tests_per_run(index: ItemIndex, windows: int) -> int:
    """Hypotheses of a full-suite run with every window: each paired group per window, each metric task once."""
    paired = len(index.groups) - len(index.metric_tasks)
    return paired * windows + len(index.metric_tasks)


def group_power(n: int, *, drop: float, base: float, flip: float, reference_runs: int, level: float,
                min_effect: float, trials: int, rng: np.random.Generator) -> float:
    """Share of trials in which ``n`` paired items, a fraction ``drop`` of them turned from pass to fail, are
    found to have dropped at ``level`` (with the minimum effect), against ``reference_runs`` reference runs."""
    hits = 0
    for _ in range(trials):
        truth = rng.random(n) < base
        passing = np.flatnonzero(truth)
        after = truth.copy()
        after[rng.choice(passing, size=min(len(passing), round(drop * n)), replace=False)] = False
        ref = (truth[None, :] ^ (rng.random((reference_runs, n)) < flip)).sum(axis=0)
        now = after ^ (rng.random(n) < flip)
        (result,) = group_tests(now, ref, np.full(n, reference_runs), np.ones(n, dtype=bool), np.arange(n),
                                np.array([0, n]))
        hits += result.p_drop <= level and result.delta <= -min_effect
    return hits / trials


def items_needed(*, drop: float, base: float, flip: float, reference_runs: int, level: float, min_effect: float,
                 trials: int, seed: int) -> int | None:
    """The fewest paired items per run for TARGET detection (doubling, then bisection)."""
    rng = np.random.default_rng(seed)

    def enough(n: int) -> bool:
        return group_power(n, drop=drop, base=base, flip=flip, reference_runs=reference_runs, level=level,
                           min_effect=min_effect, trials=trials, rng=rng) >= TARGET

    low, high = 4, 8
    while not enough(high):
        low, high = high, high * 2
        if high > MAX_ITEMS:
            return None
    while high - low > max(2, low // 20):
        mid = (low + high) // 2
        if enough(mid):
            high = mid
        else:
            low = mid
    return high


def power(task_id: str, drop: float, *, base: float = 0.8, flip: float = FLIP, params: Params | None = None,
          per_task: int | None = None, trials: int = 200, rotation_runs: int = 12, seed: int = 1,
          workers: int = 1, progress: Callable[[str], None] | None = None) -> PowerReport:
    catalogue = all_tasks()
    if task_id not in catalogue:
        raise KeyError(task_id)
    task = catalogue[task_id]
    params = params or Params(flip=flip)
    index = ItemIndex.build(catalogue)
    if task_id in index.metric_tasks:
        raise ValueError(f"{task_id} is scored by a task-level metric ({task.aggregator}); power is computed for "
                         "tasks whose per-sample scores are trust outcomes")
    if not 0 < drop <= base:
        raise ValueError(f"the drop must be above 0 and at most the base pass rate ({base:g})")
    items = len(task.samples) * len(task.variants)
    if progress is not None:
        progress(f"simulating {trials} changes of {task_id} with the detector...")
    scenario = Scenario(f"{task_id} -{drop:g}", (task_id,), drop, 1, base)
    full = run_scenario(params, scenario, trials, seed, workers)
    rotation = None
    if per_task is not None:
        rotating = Params(settings=params.settings, windows=params.windows, reference_runs=params.reference_runs,
                          flip=flip, per_task=per_task)
        rotation = run_scenario(rotating, Scenario(scenario.name, scenario.tasks, drop, rotation_runs, base),
                                trials, seed + 1, workers)
    m = tests_per_run(index, len(params.windows))
    needed = items_needed(drop=drop, base=base, flip=flip, reference_runs=params.reference_runs,
                          level=params.settings.alpha / m, min_effect=params.settings.min_effect,
                          trials=max(100, trials // 2), seed=seed + 2)
    summary = rotation.delay_summary() if rotation is not None else {}
    return PowerReport(
        task=task_id, items_per_run=items, samples=len(task.samples), variants=len(task.variants), drop=drop,
        base=base, flip=flip, tests_per_run=m, settings=params.settings, first_run=full.first_run_rate,
        trials=full.trials, per_task=per_task,
        rotation_detected=None if rotation is None else sum(1 for d in rotation.delays if d > 0) / rotation.trials,
        rotation_median=summary.get("median_delay"),  # type: ignore[arg-type]
        rotation_p90=summary.get("p90_delay"),  # type: ignore[arg-type]
        rotation_runs=rotation_runs, items_needed=needed,
    )
