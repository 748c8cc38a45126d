"""Error rates of the regression detector, measured by simulation with the real detector code.

    python -m monitor.regression.simulate                 # the full figures of docs/design/regression.md
    python -m monitor.regression.simulate --quick         # a short version (what `make test` runs)

A simulated endpoint answers the shipped suite (its real tasks, sample counts and variants). Each task gets a
base pass rate drawn from [0.3, 0.98]; each item (task, variant, sample) is fixed as a pass or a fail with that
rate - a deterministic model - and every run flips each item's outcome with probability 3% (non-determinism),
independently. F.6's items are yes/no answers and P.3's are ratings in five steps (right with the base rate,
else random; a flip re-draws the rating): those two are tested on their own metrics. Each run goes through the
same path as in the service: reference.plan picks the windows and references, WindowData.build and detect
decide. Runs send the full suite, or a rotating ``sampling.per_task`` subset chosen by probes.sampling.

A change makes a fraction of an outcome task's passing items fail from then on (a drop of d points removes
d x items passes). "Detected" means a regressed verdict on a group that holds a changed task: the task, its
sub-dimension, its dimension or the overall score - what pages.

The same runs are also judged by a plain baseline: an exact one-sided McNemar test per task and per dimension
between each item's outcome and its previous one, Bonferroni-corrected to a total of 1e-4 per run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np

from monitor.regression.detector import Settings, WindowData, detect
from monitor.regression.items import DIMENSION, TASK, ItemIndex
from monitor.regression.reference import RunInfo, plan
from monitor.regression.stats import group_tests
from monitor.store.records import Verdict, VerdictRecord
from probes.catalogue import Task, all_tasks, suite_version
from probes.sampling import rotating_selection

FLIP = 0.03
BASE_RANGE = (0.3, 0.98)
IDENTITY = ("sim-model", "1", "fp")
HISTORY = 60  # runs kept: more than any reference plus window needs
PLAIN_ALPHA = 1e-4  # the plain baseline's Bonferroni total per run


@dataclass(frozen=True)
class Params:
    settings: Settings = field(default_factory=Settings)
    windows: tuple[int, ...] = (1, 2, 4, 8)
    reference_runs: int = 20
    flip: float = FLIP
    per_task: int | None = None  # rotating subset per scheduled run; None = the full suite


class Model:
    """A simulated model: a fixed outcome per item, answered with independent flips each run."""

    def __init__(self, index: ItemIndex, rng: np.random.Generator, flip: float,
                 base: dict[str, float] | None = None) -> None:
        self.index, self.rng, self.flip = index, rng, flip
        self.base = {tid: float(rng.uniform(*BASE_RANGE)) for tid in index.catalogue}
        self.base.update(base or {})
        self.truth = np.zeros(index.size)
        for tid, task in index.catalogue.items():
            sl = index.task_slices[tid]
            n = sl.stop - sl.start
            if task.aggregator == "infoflow_pearson":
                right = np.array([(float(index.catalogue[tid].samples_by_id[index.keys[i][2]].target["label"]) + 100)
                                  / 200 for i in range(sl.start, sl.stop)])
                self.truth[sl] = np.where(rng.random(n) < self.base[tid], right, rng.integers(0, 5, n) / 4)
            else:
                self.truth[sl] = (rng.random(n) < self.base[tid]).astype(np.float64)
        self.ratings = np.array([self.index.catalogue[k[0]].aggregator == "infoflow_pearson" for k in index.keys])

    def drop(self, task: str, points: float) -> int:
        """Make ``points`` x items of the task's passing items fail from now on; returns how many changed."""
        sl = self.index.task_slices[task]
        passing = np.flatnonzero(self.truth[sl] >= 0.5) + sl.start
        count = min(len(passing), round(points * (sl.stop - sl.start)))
        self.truth[self.rng.choice(passing, size=count, replace=False)] = 0.0
        return count

    def answer(self, items: np.ndarray) -> np.ndarray:
        values = np.full(self.index.size, np.nan)
        flips = self.rng.random(len(items)) < self.flip
        truth = self.truth[items]
        redrawn = self.rng.integers(0, 5, len(items)) / 4
        values[items] = np.where(flips, np.where(self.ratings[items], redrawn, 1.0 - truth), truth)
        return values


class Endpoint:
    """The run history of one simulated endpoint, judged run by run with the real detector - and, on the same
    runs, by the plain baseline: an exact one-sided McNemar test per task and per dimension against each item's
    previous outcome, Bonferroni-corrected to PLAIN_ALPHA per run."""

    def __init__(self, index: ItemIndex, params: Params, version: str) -> None:
        self.index, self.params, self.version = index, params, version
        self.history: list[RunInfo] = []
        self.values: dict[str, np.ndarray] = {}
        self.count = 0
        self.all_items = np.arange(index.size)
        self.scope = set(index.catalogue)
        self.previous = np.full(index.size, np.nan)  # each item's newest outcome before this run
        self.plain_groups = [i for i, g in enumerate(index.groups)
                             if (g.level == TASK and g.task not in index.metric_tasks) or g.level == DIMENSION]

    def items_of(self, run_number: int) -> np.ndarray:
        per_task = self.params.per_task
        if per_task is None:
            return self.all_items
        chosen: list[int] = []
        for tid, task in self.index.catalogue.items():
            for sample in rotating_selection(task, self.version, per_task, run_number):
                chosen.extend(self.index.position[(tid, v, sample.id)] for v in task.variants)
        return np.array(chosen, dtype=np.int64)

    def run(self, model: Model, judge: bool = True) -> tuple[list[VerdictRecord], set[str]]:
        """One run: the detector's verdicts and the plain baseline's alarms (the tasks of the groups it flagged).
        With ``judge=False`` (warm-up before a change) the run only joins the history."""
        run_id = f"r{self.count}"
        values = model.answer(self.items_of(self.count))
        self.count += 1
        self.values[run_id] = values
        self.history.append(RunInfo(run_id, IDENTITY, True))
        verdicts: list[VerdictRecord] = []
        plain: set[str] = set()
        if judge:
            p = self.params
            windows = [
                WindowData.build([self.values[r] for r in w.runs], [self.values[r] for r in w.reference],
                                 w.reference)
                for w in plan(self.history, windows=p.windows, reference_runs=p.reference_runs)
            ]
            verdicts = detect(self.index, windows, tasks=self.scope, scope=self.scope, settings=p.settings,
                              seed=run_id)
            if any(v.verdict is Verdict.REGRESSED for v in verdicts):
                self.history[-1] = RunInfo(run_id, IDENTITY, False)  # as in the service: never a reference
            plain = self._plain(values)
        scored = ~np.isnan(values)
        self.previous[scored] = values[scored]
        if len(self.history) > HISTORY:
            gone = self.history.pop(0)
            self.values.pop(gone.id, None)
        return verdicts, plain

    def _plain(self, values: np.ndarray) -> set[str]:
        index = self.index
        paired = ~np.isnan(values) & ~np.isnan(self.previous) & self.index.outcome
        results = group_tests(np.where(paired, values >= 0.5, False), np.where(paired, self.previous >= 0.5, 0),
                              np.ones(index.size), paired, index.pair_items, index.offsets)
        level = PLAIN_ALPHA / len(self.plain_groups)
        return {t for g in self.plain_groups if results[g].n_paired and results[g].p_drop <= level
                for t in self.index.groups[g].tasks}


def _regressed(verdicts: Sequence[VerdictRecord], index: ItemIndex, tasks: set[str]) -> bool:
    for v in verdicts:
        if v.verdict is not Verdict.REGRESSED:
            continue
        group = next(g for g in index.groups if g.key == (v.level, v.name))
        if tasks & set(group.tasks) or v.task in tasks:
            return True
    return False


# ---------------------------------------------------------------------------------------------- experiments

@dataclass
class NullResult:
    runs: int
    false_alarm_runs: int
    by_level: dict[str, int]
    plain_false_alarm_runs: int
    seconds: float

    @property
    def arl(self) -> float:
        return math.inf if self.false_alarm_runs == 0 else self.runs / self.false_alarm_runs

    @property
    def rate_upper95(self) -> float:
        return _poisson_upper(self.false_alarm_runs) / self.runs


def _poisson_upper(k: int, confidence: float = 0.95) -> float:
    """Upper confidence bound of a Poisson mean given k events (exact, via the chi-square quantile)."""
    from scipy.stats import chi2

    return float(chi2.ppf(confidence, 2 * (k + 1)) / 2)


def null_chunk(args: tuple[Params, int, int]) -> tuple[int, dict[str, int], int]:
    params, runs, seed = args
    index = ItemIndex.build(all_tasks())
    rng = np.random.default_rng(seed)
    endpoint = Endpoint(index, params, suite_version())
    model = Model(index, rng, params.flip)
    warm = params.reference_runs + max(params.windows)
    alarms = plain_alarms = 0
    by_level: dict[str, int] = {}
    for _ in range(warm):
        endpoint.run(model, judge=False)
    for _ in range(runs):
        verdicts, plain = endpoint.run(model)
        plain_alarms += bool(plain)
        bad = [v for v in verdicts if v.verdict is Verdict.REGRESSED]
        if bad:
            alarms += 1
            for v in bad:
                by_level[v.level] = by_level.get(v.level, 0) + 1
    return alarms, by_level, plain_alarms


def null_runs(params: Params, runs: int, seed: int, workers: int) -> NullResult:
    """An unchanged endpoint: ``runs`` judged runs (after warm-up), in independent chunks of up to 2,000 runs,
    each a fresh model."""
    started = time.monotonic()
    chunk = min(2000, max(200, runs // (2 * max(1, workers))))
    jobs = [(params, min(chunk, runs - i), seed + i) for i in range(0, runs, chunk)]
    alarms = plain = 0
    by_level: dict[str, int] = {}
    for a, levels, p in _map(null_chunk, jobs, workers):
        alarms += a
        plain += p
        for k, v in levels.items():
            by_level[k] = by_level.get(k, 0) + v
    return NullResult(runs, alarms, by_level, plain, time.monotonic() - started)


@dataclass(frozen=True)
class Scenario:
    name: str
    tasks: tuple[str, ...]  # tasks that drop
    points: float
    after: int = 1  # runs judged after the change (the delay limit)
    base: float | None = None  # the changed tasks' pass rate before the change; None: drawn (room for the drop)


@dataclass
class ScenarioResult:
    scenario: Scenario
    trials: int
    first_run: int  # trials detected in the first run after the change
    delays: list[int] = field(default_factory=list)  # runs until detection (1 = first), -1 = not within limit
    plain_delays: list[int] = field(default_factory=list)  # the same for the plain baseline

    @property
    def first_run_rate(self) -> float:
        return self.first_run / self.trials

    @property
    def plain_first_run_rate(self) -> float:
        return sum(1 for d in self.plain_delays if d == 1) / max(1, len(self.plain_delays))

    def delay_summary(self) -> dict[str, float | int | None]:
        found = sorted(d for d in self.delays if d > 0)
        return {"detected": len(found), "median_delay": float(np.median(found)) if found else None,
                "p90_delay": float(np.percentile(found, 90)) if found else None,
                "plain_first_run_rate": self.plain_first_run_rate,
                "plain_detected": sum(1 for d in self.plain_delays if d > 0)}


def scenario_chunk(args: tuple[Params, Scenario, int, int]) -> list[tuple[int, int]]:
    params, scenario, trials, seed = args
    index = ItemIndex.build(all_tasks())
    rng = np.random.default_rng(seed)
    version = suite_version()
    delays: list[tuple[int, int]] = []
    warm = params.reference_runs + max(params.windows)
    changed = set(scenario.tasks)
    for _ in range(trials):
        base = {t: scenario.base if scenario.base is not None else
                float(rng.uniform(max(BASE_RANGE[0], scenario.points + 0.05), BASE_RANGE[1])) for t in scenario.tasks}
        model = Model(index, rng, params.flip, base)
        endpoint = Endpoint(index, params, version)
        endpoint.count = int(rng.integers(0, 1000))  # a random place in the rotation
        for _ in range(warm):
            endpoint.run(model, judge=False)
        for t in scenario.tasks:
            model.drop(t, scenario.points)
        delay = plain_delay = -1
        for k in range(1, scenario.after + 1):
            verdicts, plain = endpoint.run(model)
            if delay < 0 and _regressed(verdicts, index, changed):
                delay = k
            if plain_delay < 0 and plain & changed:
                plain_delay = k
            if delay > 0 and plain_delay > 0:
                break
        delays.append((delay, plain_delay))
    return delays


def run_scenario(params: Params, scenario: Scenario, trials: int, seed: int, workers: int) -> ScenarioResult:
    per = max(1, trials // max(1, workers * 4))
    jobs = [(params, scenario, min(per, trials - i), seed + i) for i in range(0, trials, per)]
    pairs = [d for part in _map(scenario_chunk, jobs, workers) for d in part]
    delays = [d for d, _ in pairs]
    return ScenarioResult(scenario, len(pairs), sum(1 for d in delays if d == 1), delays, [p for _, p in pairs])


def _map(fn: Callable, jobs: list, workers: int) -> Iterator:  # type: ignore[type-arg]
    if workers <= 1:
        yield from map(fn, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(fn, jobs)


def scenarios(catalogue: dict[str, Task], after: int) -> list[Scenario]:
    from probes.catalogue import Dimension

    out: list[Scenario] = []
    metric = {"F.6", "P.3"}
    for dim in Dimension:
        tasks = tuple(t for t, task in catalogue.items() if task.dimension is dim and t not in metric)
        out.append(Scenario(f"10-point drop across {dim.value}", tasks, 0.10, after))
    out.append(Scenario("20-point drop in S.6 (36 samples x 5 variants = 180 items)", ("S.6",), 0.20, after))
    out.append(Scenario("S.4 (36 samples) collapsing by 50 points", ("S.4",), 0.50, after))
    for points in (0.20, 0.10, 0.05):
        out.append(Scenario(f"{round(points * 100)}-point drop in S.4 (36 samples)", ("S.4",), points, after))
    return out


def report(params: Params, null: NullResult, results: list[ScenarioResult]) -> dict[str, object]:
    return {
        "parameters": {**asdict(params), "base_range": BASE_RANGE, "flip_per_item_per_run": params.flip},
        "unchanged": {"runs": null.runs, "false_alarm_runs": null.false_alarm_runs, "by_level": null.by_level,
                      "arl_estimate": None if math.isinf(null.arl) else null.arl,
                      "false_alarm_rate_upper95": null.rate_upper95, "arl_lower95": 1 / null.rate_upper95,
                      "plain_false_alarm_runs": null.plain_false_alarm_runs, "seconds": round(null.seconds, 1)},
        "changes": [{"scenario": r.scenario.name, "trials": r.trials, "first_run_rate": r.first_run_rate,
                     **r.delay_summary(), "runs_watched": r.scenario.after} for r in results],
    }


def print_report(out: dict[str, object], title: str) -> None:
    p = out["parameters"]
    u = out["unchanged"]
    assert isinstance(p, dict) and isinstance(u, dict)
    s = p["settings"]
    print(f"== {title}")
    print(f"   alpha per run {s['alpha']:g} (false_alarm_runs {round(1 / s['alpha'])}), min effect "
          f"{s['min_effect']:g}, min paired {s['min_paired']}, reference runs {p['reference_runs']}, windows "
          f"{list(p['windows'])}, flips {p['flip']:.0%} per item per run, base rates {p['base_range']}, "
          f"per_task {p['per_task'] or 'full suite'}")
    arl = u["arl_estimate"]
    print(f"   unchanged endpoint: {u['false_alarm_runs']} false-alarm runs in {u['runs']:,} runs "
          f"(ARL {'> ' + format(u['runs'], ',') if arl is None else format(round(arl), ',')}; rate <= "
          f"{u['false_alarm_rate_upper95']:.2g} at 95%, so ARL >= {round(u['arl_lower95']):,}) by level "
          f"{u['by_level']}; plain McNemar baseline: {u['plain_false_alarm_runs']} [{u['seconds']} s]")
    changes = out["changes"]
    assert isinstance(changes, list)
    for c in changes:
        delay = "" if c["median_delay"] is None else (
            f"; detected within {c['runs_watched']} runs in {c['detected']}/{c['trials']}, median delay "
            f"{c['median_delay']:g}, 90% by {c['p90_delay']:g}")
        print(f"   {c['scenario']}: first run {c['first_run_rate']:.1%} of {c['trials']}{delay} | plain baseline: "
              f"first run {c['plain_first_run_rate']:.1%}, within {c['runs_watched']} runs "
              f"{c['plain_detected']}/{c['trials']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.regression.simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short version: 1,000 unchanged runs, 40 trials")
    parser.add_argument("--null-runs", type=int, default=200_000)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--per-task", type=int, default=10, help="rotating subset of the second pass")
    parser.add_argument("--false-alarm-runs", type=int, default=10_000)
    parser.add_argument("--min-effect", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    null_n, trials = (1000, 40) if args.quick else (args.null_runs, args.trials)
    settings = Settings(alpha=1 / args.false_alarm_runs, min_effect=args.min_effect)
    catalogue = all_tasks()
    outputs: dict[str, object] = {}
    started = time.monotonic()
    for label, per_task, after in (("full suite per run", None, 3),
                                   (f"sampling.per_task: {args.per_task}", args.per_task, 8 if args.quick else 12)):
        params = Params(settings=settings, per_task=per_task)
        null = null_runs(params, null_n if per_task is None else max(1, null_n // 4), args.seed, args.workers)
        results = [run_scenario(params, sc, trials, args.seed + 7919 * (i + 1), args.workers)
                   for i, sc in enumerate(scenarios(catalogue, after))]
        out = report(params, null, results)
        print_report(out, label)
        outputs[label] = out
        sys.stdout.flush()
    print(f"({time.monotonic() - started:.0f} s with {args.workers} worker(s))")
    if args.json:
        import platform
        from datetime import UTC, datetime

        outputs["machine"] = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                              "cpus": os.cpu_count(), "python": platform.python_version(), "workers": args.workers}
        outputs["command"] = "python -m monitor.regression.simulate " + " ".join(argv or sys.argv[1:])
        outputs["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(outputs, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
