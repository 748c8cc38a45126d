"""Windows and references: pooled recent runs of the same model, frozen across a model change, a pinned
baseline, runs that regressed never serving as a reference."""

from __future__ import annotations

from monitor.regression.reference import RunInfo, plan, segment

A = ("m", "1", "fa")
B = ("m", "2", "fb")
UNKNOWN = ("", "", "")


def runs(*identities: tuple[str, str, str], bad: set[int] = frozenset()) -> list[RunInfo]:  # type: ignore[assignment]
    return [RunInfo(f"r{i}", ident, i not in bad) for i, ident in enumerate(identities)]


def test_the_run_alone_and_with_the_runs_before_it() -> None:
    history = runs(*[A] * 12)
    windows = plan(history, windows=[1, 2, 4, 8], reference_runs=3)
    assert [w.runs for w in windows] == [("r11",), ("r11", "r10"), ("r11", "r10", "r9", "r8"),
                                         tuple(f"r{i}" for i in range(11, 3, -1))]
    # each window's reference is the runs just before it
    assert [w.reference for w in windows] == [("r10", "r9", "r8"), ("r9", "r8", "r7"), ("r7", "r6", "r5"),
                                              ("r3", "r2", "r1")]
    assert not any(w.frozen for w in windows)


def test_first_runs_and_short_histories() -> None:
    assert plan(runs(A), windows=[1, 2], reference_runs=5) == []  # nothing to compare with
    (only,) = plan(runs(A, A), windows=[1, 2, 4], reference_runs=5)
    assert only.runs == ("r1",) and only.reference == ("r0",)
    # a window that would hold every run has nothing before it
    assert [len(w.runs) for w in plan(runs(*[A] * 4), windows=[1, 2, 8], reference_runs=5)] == [1, 2]


def test_regressed_and_degraded_runs_are_never_a_reference() -> None:
    history = runs(*[A] * 6, bad={3, 4})
    (first, *_) = plan(history, windows=[1], reference_runs=5)
    assert first.reference == ("r2", "r1", "r0")


def test_a_model_change_freezes_the_pre_change_reference() -> None:
    history = runs(*[A] * 10, *[B] * 3)
    assert segment(history) == 3
    windows = plan(history, windows=[1, 2, 4, 8], reference_runs=4)
    # only windows inside the new model's runs, all against the old model's runs
    assert [len(w.runs) for w in windows] == [1, 2, 3]
    assert all(w.reference == ("r9", "r8", "r7", "r6") and w.frozen for w in windows)
    # once the new model has as many runs of its own as the longest window, it is its own reference
    history = runs(*[A] * 10, *[B] * 10)
    w1 = plan(history, windows=[1, 2, 4, 8], reference_runs=4)[0]
    assert w1.reference == ("r18", "r17", "r16", "r15") and not w1.frozen


def test_an_unknown_identity_is_no_change() -> None:
    history = runs(A, A, UNKNOWN, A, UNKNOWN)
    assert segment(history) == 5
    assert segment(runs(A, B, UNKNOWN)) == 2


def test_a_pinned_baseline_and_the_runs_of_its_model_after_it() -> None:
    history = runs(*[A] * 3, *[B] * 6, bad={5})
    pinned = history[3]
    (w1, w2, *_) = plan(history, windows=[1, 2, 4], reference_runs=3, pinned=pinned)
    assert w1.reference == ("r6", "r4", "r3") and w1.frozen  # r5 regressed
    assert w2.reference == ("r6", "r4", "r3")
    # pinned inside the window: no reference for that window
    windows = plan(history, windows=[1, 8], reference_runs=3, pinned=history[8])
    assert windows == []
