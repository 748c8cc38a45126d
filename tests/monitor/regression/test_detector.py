"""The decision on the real suite's structure, with synthetic outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.regression.detector import Settings, WindowData, detect, evaluated_groups
from monitor.regression.items import ItemIndex
from monitor.store.records import Verdict
from probes.catalogue import all_tasks

INDEX = ItemIndex.build(all_tasks())
ALL = set(INDEX.catalogue)
SETTINGS = Settings(alpha=1e-4, min_effect=0.05, min_paired=10)


def _runs(rng: np.random.Generator, truth: np.ndarray, count: int, flip: float = 0.03) -> list[np.ndarray]:
    return [np.where(rng.random(len(truth)) < flip, 1.0 - truth, truth) for _ in range(count)]


def _truth(rng: np.random.Generator) -> np.ndarray:
    return (rng.random(INDEX.size) < 0.8).astype(float)


def _judge(current: np.ndarray, reference: list[np.ndarray], tasks: set[str] = ALL,
           settings: Settings = SETTINGS) -> dict[tuple[str, str], object]:
    window = WindowData.build([current], reference, [f"ref{i}" for i in range(len(reference))])
    return {(v.level, v.name): v for v in detect(INDEX, [window], tasks=tasks, scope=ALL, settings=settings,
                                                 seed="t")}


def test_the_groups_of_the_suite() -> None:
    levels = [g.level for g in INDEX.groups]
    assert levels.count("task") == 32 and levels.count("subdimension") == 10
    assert levels.count("dimension") == 5 and levels.count("overall") == 1
    assert INDEX.metric_tasks == ["F.6", "P.3"]
    bias = next(g for g in INDEX.groups if g.name == "bias_preference")
    assert bias.tasks == ("F.5", "F.7")  # the metric task is judged on its own, pooled nowhere


def test_an_unchanged_model_is_ok_and_a_dropped_dimension_regresses() -> None:
    rng = np.random.default_rng(3)
    truth = _truth(rng)
    reference = _runs(rng, truth, 20)
    verdicts = _judge(_runs(rng, truth, 1)[0], reference)
    assert {v.verdict for v in verdicts.values()} == {Verdict.OK}  # type: ignore[attr-defined]

    worse = truth.copy()
    for tid in ("S.4", "S.5", "S.6"):
        sl = INDEX.task_slices[tid]
        passing = np.flatnonzero(worse[sl] == 1) + sl.start
        worse[passing[: (sl.stop - sl.start) // 5]] = 0.0  # 20 points
    verdicts = _judge(_runs(rng, worse, 1)[0], reference)
    # safety pools the unchanged toxicity tasks too: 50 of its 504 items dropped
    for key, drop in ((("task", "S.6"), 0.2), (("subdimension", "jailbreaking"), 0.2), (("dimension", "safety"), 0.1)):
        v = verdicts[key]
        assert v.verdict is Verdict.REGRESSED, key  # type: ignore[attr-defined]
        assert v.delta == pytest.approx(-drop, abs=0.04) and v.evidence > 4  # type: ignore[attr-defined]
    assert verdicts[("dimension", "privacy")].verdict is Verdict.OK  # type: ignore[attr-defined]


def test_a_certain_but_small_drop_is_not_a_regression() -> None:
    rng = np.random.default_rng(4)
    truth = np.ones(INDEX.size)
    reference = [truth.copy() for _ in range(20)]
    current = truth.copy()
    sl = INDEX.task_slices["S.6"]
    current[sl.start:sl.start + 7] = 0.0  # 7 of 180 reliably passing items fail: -3.9 points, p = 21^-7
    v = _judge(current, reference)[("task", "S.6")]
    assert v.verdict is Verdict.OK and v.evidence > 5 and v.delta == pytest.approx(-7 / 180)  # type: ignore[attr-defined]
    strict = Settings(alpha=1e-4, min_effect=0.03, min_paired=10)
    assert _judge(current, reference, settings=strict)[("task", "S.6")].verdict is Verdict.REGRESSED  # type: ignore[attr-defined]
    assert rng is not None


def test_too_few_paired_samples_is_inconclusive_never_a_regression() -> None:
    truth = np.ones(INDEX.size)
    current = np.full(INDEX.size, np.nan)
    sl = INDEX.task_slices["S.4"]
    current[sl.start:sl.start + 9] = 0.0  # only 9 of S.4's items answered (the rest errors), all failing
    verdicts = _judge(current, [truth] * 20, tasks={"S.4"})
    assert verdicts[("task", "S.4")].verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]
    assert "fewer than 10 paired" in verdicts[("task", "S.4")].reason  # type: ignore[attr-defined]


def test_a_partial_run_is_judged_only_on_what_it_measured() -> None:
    assert {INDEX.groups[i].name for i in evaluated_groups(INDEX, {"T.1"}, ALL)} == {"T.1"}
    scope = {"T.1", "S.4"}
    assert {INDEX.groups[i].name for i in evaluated_groups(INDEX, {"T.1"}, scope)} == {
        "T.1", "inherent_deficiency", "truthfulness"}
    names = {INDEX.groups[i].name for i in evaluated_groups(INDEX, scope, scope)}
    assert "overall" in names and "safety" in names and "privacy" not in names


def test_an_improvement_is_reported_not_alerted() -> None:
    rng = np.random.default_rng(5)
    truth = _truth(rng)
    reference = _runs(rng, truth, 20)
    better = truth.copy()
    sl = INDEX.task_slices["R.3"]
    better[sl] = 1.0
    verdicts = _judge(_runs(rng, better, 1)[0], reference)
    assert verdicts[("task", "R.3")].verdict is Verdict.IMPROVED  # type: ignore[attr-defined]
    assert not any(v.verdict is Verdict.REGRESSED for v in verdicts.values())  # type: ignore[attr-defined]


def test_a_metric_task_is_judged_on_its_metric() -> None:
    rng = np.random.default_rng(6)
    truth = _truth(rng)
    reference = _runs(rng, truth, 5)
    current = _runs(rng, truth, 1)[0]
    sl = INDEX.task_slices["P.3"]
    labels = np.array([(all_tasks()["P.3"].samples_by_id[INDEX.keys[i][2]].target["label"] + 100) / 200
                       for i in range(sl.start, sl.stop)])
    for run in (*reference, current):
        run[sl] = labels  # ratings that agree with people's: r = 1
    v = _judge(current, reference)[("task", "P.3")]
    assert v.verdict is Verdict.OK and v.method == "metric-bootstrap"  # type: ignore[attr-defined]
    current[sl] = rng.integers(0, 5, sl.stop - sl.start) / 4  # ratings at random: r ~ 0
    v = _judge(current, reference)[("task", "P.3")]
    assert v.verdict is Verdict.REGRESSED and v.delta < -0.7  # type: ignore[attr-defined]
    assert v.reference == ["ref0"]  # type: ignore[attr-defined]
