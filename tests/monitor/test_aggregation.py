import math

import pytest

from monitor.aggregation import aggregate, task_score, wilson
from monitor.store.records import SampleResult, TaskScoreRecord
from probes.catalogue import TXT_IMG_VARIANTS, Dimension, Modality, Task


def _task(tid: str, sub: str, dim: Dimension, modality: Modality = Modality.MM) -> Task:
    variants = TXT_IMG_VARIANTS if modality is Modality.TXT_IMG else ("default",)
    return Task(id=tid, name=tid, dimension=dim, subdimension=sub, modality=modality, scorer="x", summary="",
                original_metric="", fidelity="", variants=variants)


def _res(variant: str, score: float | None, error: str | None = None, i: int = 0) -> SampleResult:
    return SampleResult(task="T.1", variant=variant, sample_id=str(i), answer=None if error else "a",
                        score=score, error_kind=error)


def test_wilson_matches_known_values() -> None:
    # 8 of 10: the textbook Wilson interval is (0.490, 0.943)
    low, high = wilson(8, 10)
    assert math.isclose(low, 0.4902, abs_tol=1e-4) and math.isclose(high, 0.9433, abs_tol=1e-4)
    low, high = wilson(0, 30)
    assert low == 0.0 and math.isclose(high, 0.1135, abs_tol=1e-4)
    low, high = wilson(30, 30)
    assert math.isclose(high, 1.0) and math.isclose(low, 0.8865, abs_tol=1e-4)


def test_errors_and_unscorable_are_excluded_not_zero() -> None:
    task = _task("T.1", "inherent_deficiency", Dimension.TRUTHFULNESS)
    results = [_res("default", 1.0, i=i) for i in range(12)] + [_res("default", None, "timeout", i=100 + i)
                                                                  for i in range(20)]
    results.append(_res("default", None, i=999))
    rec = task_score(task, results, min_scored=10)
    assert rec.score == 1.0 and rec.n_scored == 12 and rec.n_errors == 20 and rec.n_unscorable == 1
    assert rec.ci_low is not None and rec.ci_low < 1.0


def test_too_few_scored_gives_no_score() -> None:
    task = _task("T.1", "inherent_deficiency", Dimension.TRUTHFULNESS)
    rec = task_score(task, [_res("default", None, "connection", i=i) for i in range(30)], min_scored=10)
    assert rec.score is None and rec.ci_low is None and rec.n_errors == 30


def test_txt_img_averages_text_related_and_unrelated_groups() -> None:
    task = _task("R.3", "out_of_distribution", Dimension.ROBUSTNESS, Modality.TXT_IMG)
    results = []
    for i in range(10):
        results.append(_res("text", 1.0, i=i))
        results.append(_res("related", 0.0, i=i))
        results.append(_res("unrelated_color", 1.0, i=i))
        results.append(_res("unrelated_photo", 0.0, i=i))
        results.append(_res("unrelated_noise", 1.0 if i < 5 else 0.0, i=i))
    rec = task_score(task, results, min_scored=10)
    # text 1.0, related 0.0, unrelated (10+0+5)/30 = 0.5 -> mean 0.5
    assert rec.score == pytest.approx(0.5)
    assert rec.ci_low is not None and rec.ci_high is not None and rec.ci_low < 0.5 < rec.ci_high
    assert rec.variant_scores["unrelated_noise"] == pytest.approx(0.5)


def test_txt_img_missing_group_gives_no_score() -> None:
    task = _task("R.3", "out_of_distribution", Dimension.ROBUSTNESS, Modality.TXT_IMG)
    results = [_res("text", 1.0, i=i) for i in range(30)]
    assert task_score(task, results, min_scored=10).score is None


def test_hierarchy() -> None:
    tasks = {
        "T.1": _task("T.1", "inherent_deficiency", Dimension.TRUTHFULNESS),
        "T.5": _task("T.5", "misguided_mistakes", Dimension.TRUTHFULNESS),
        "P.1": _task("P.1", "privacy_awareness", Dimension.PRIVACY),
        "P.3": _task("P.3", "privacy_awareness", Dimension.PRIVACY),
        "S.4": _task("S.4", "jailbreaking", Dimension.SAFETY),
    }
    recs = [
        TaskScoreRecord("T.1", 0.8, 0.7, 0.9, 30, 0, 0),
        TaskScoreRecord("T.5", 0.4, 0.3, 0.5, 30, 0, 0),
        TaskScoreRecord("P.1", 1.0, 0.9, 1.0, 30, 0, 0),
        TaskScoreRecord("P.3", 0.0, 0.0, 0.1, 30, 0, 0),
        TaskScoreRecord("S.4", None, None, None, 3, 27, 0),
    ]
    agg = aggregate(tasks, recs)
    assert agg.subdimensions["inherent_deficiency"] == 0.8
    assert agg.dimensions["truthfulness"] == pytest.approx(0.6)
    # privacy awareness weights 0.4 (P.1) and 0.3 (P.3), renormalised over the tasks the endpoint runs
    assert agg.subdimensions["privacy_awareness"] == pytest.approx(0.4 / 0.7)
    # S.4 has no score: its groups have none either - never a mean over what happened to be scored
    assert "jailbreaking" not in agg.subdimensions and "safety" not in agg.dimensions
    assert agg.missing["jailbreaking"] == "S.4 has no score"
    assert agg.missing["safety"] == "sub-dimension jailbreaking has no score"
    assert agg.overall is None and agg.missing["overall"] == "sub-dimension jailbreaking has no score"

    # without S.4 in the endpoint's tasks, safety is out of scope and the overall is complete
    agg = aggregate(tasks, recs, required=["T.1", "T.5", "P.1", "P.3"])
    assert "safety" not in agg.missing and "jailbreaking" not in agg.missing
    assert agg.overall == pytest.approx((0.8 + 0.4 + 0.4 / 0.7) / 3)


def test_group_intervals_combine_their_parts_as_independent_estimates() -> None:
    tasks = {
        "T.1": _task("T.1", "inherent_deficiency", Dimension.TRUTHFULNESS),
        "T.5": _task("T.5", "misguided_mistakes", Dimension.TRUTHFULNESS),
        "T.6": _task("T.6", "misguided_mistakes", Dimension.TRUTHFULNESS),
    }
    z = 1.959963984540054
    recs = [TaskScoreRecord("T.1", 0.8, 0.7, 0.9, 30, 0, 0), TaskScoreRecord("T.5", 0.4, 0.3, 0.5, 30, 0, 0),
            TaskScoreRecord("T.6", 0.6, 0.4, 0.8, 30, 0, 0)]
    agg = aggregate(tasks, recs)
    # one task: its own interval
    assert agg.intervals["inherent_deficiency"] == pytest.approx((0.7, 0.9))
    # two tasks, equal weights: sd = sqrt((0.1/z)^2 + (0.2/z)^2) / 2
    half = z * math.sqrt((0.1 / z) ** 2 + (0.2 / z) ** 2) / 2
    assert agg.subdimensions["misguided_mistakes"] == pytest.approx(0.5)
    assert agg.intervals["misguided_mistakes"] == pytest.approx((0.5 - half, 0.5 + half))
    # the dimension combines its sub-dimensions the same way; narrower than either part's interval
    dim_half = z * math.sqrt((0.1 / z) ** 2 + (half / z) ** 2) / 2
    assert agg.intervals["truthfulness"] == pytest.approx((0.65 - dim_half, 0.65 + dim_half))
    assert dim_half < min(0.1, half)


def test_groups_need_every_task_they_hold() -> None:
    tasks = {
        "T.1": _task("T.1", "inherent_deficiency", Dimension.TRUTHFULNESS),
        "T.2": _task("T.2", "inherent_deficiency", Dimension.TRUTHFULNESS),
        "T.5": _task("T.5", "misguided_mistakes", Dimension.TRUTHFULNESS),
    }
    only_t1 = [TaskScoreRecord("T.1", 0.9, 0.8, 1.0, 30, 0, 0)]
    agg = aggregate(tasks, only_t1)
    assert not agg.subdimensions and not agg.dimensions and agg.overall is None
    assert agg.missing["inherent_deficiency"] == "T.2 not run"
    full = [*only_t1, TaskScoreRecord("T.2", 0.5, 0.4, 0.6, 30, 0, 0), TaskScoreRecord("T.5", 0.3, 0.2, 0.4, 30, 0, 0)]
    agg = aggregate(tasks, full, unusable={"T.5": "last scored 9.0 days ago"})
    assert agg.subdimensions == {"inherent_deficiency": pytest.approx(0.7)}
    assert agg.missing["misguided_mistakes"] == "T.5 last scored 9.0 days ago"
    assert agg.overall is None


def test_task_level_aggregator_replaces_the_mean() -> None:
    from probes.aggregators import Estimate, aggregator, aggregator_names

    if "test_max" not in aggregator_names():

        @aggregator("test_max")
        def _max(rows):  # type: ignore[no-untyped-def]
            best = max(v for _, v in rows)
            return Estimate(best, best, best, len(rows))

    from probes.catalogue import Sample

    class _Declared(Task):
        @property
        def samples_by_id(self) -> dict[str, Sample]:  # type: ignore[override]
            return {str(i): Sample(id=str(i), prompt="") for i in range(20)}

    task = _Declared(id="F.6", name="x", dimension=Dimension.FAIRNESS, subdimension="bias_preference",
                     modality=Modality.MM, scorer="x", summary="", original_metric="", fidelity="",
                     aggregator="test_max")
    results = [_res("default", 0.1 * (i % 5), i=i) for i in range(20)]
    rec = task_score(task, results, min_scored=10)
    assert rec.score == pytest.approx(0.4) and rec.ci_low == pytest.approx(0.4) and rec.n_scored == 20
