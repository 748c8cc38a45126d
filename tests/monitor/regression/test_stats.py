"""The statistics: the exact paired test against brute force and against the exact McNemar test, Holm, and the
bootstrap test of a task-level metric."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binomtest

from monitor.regression.stats import evidence, group_tests, holm, holm_adjusted, metric_test


def _one_group(y: np.ndarray, ref_sum: np.ndarray, ref_count: np.ndarray) -> object:
    n = len(y)
    (result,) = group_tests(y, ref_sum, ref_count, np.ones(n, dtype=bool), np.arange(n), np.array([0, n]))
    return result


def test_one_reference_run_is_the_exact_mcnemar_test() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(5, 80))
        ref = rng.random(n) < 0.7
        cur = np.where(rng.random(n) < 0.15, ~ref, ref)
        result = _one_group(cur, ref.astype(int), np.ones(n))
        worse, better = int((ref & ~cur).sum()), int((~ref & cur).sum())
        if worse + better == 0:
            assert result.p_drop == result.p_rise == 1.0
            continue
        expected_drop = binomtest(worse, worse + better, 0.5, alternative="greater").pvalue
        expected_rise = binomtest(better, worse + better, 0.5, alternative="greater").pvalue
        if min(expected_drop, expected_rise) < 0.05:  # exact where it can matter
            assert result.p_drop == pytest.approx(expected_drop, rel=1e-9)
            assert result.p_rise == pytest.approx(expected_rise, rel=1e-9)
        assert result.informative == worse + better


def test_pooled_reference_tails_are_exact() -> None:
    """Against full enumeration of every current outcome under the exchangeability null."""
    rng = np.random.default_rng(1)
    checked = 0
    while checked < 150:
        n = int(rng.integers(1, 9))
        k = rng.integers(1, 6, n)
        r = np.array([rng.integers(0, kk + 1) for kk in k])
        y = rng.integers(0, 2, n)
        result = _one_group(y, r, k)
        q = (r + y) / (k + 1)
        low = high = 0.0
        for combo in itertools.product((0, 1), repeat=n):
            p = float(np.prod([qi if c else 1 - qi for qi, c in zip(q, combo, strict=True)]))
            low += p if sum(combo) <= y.sum() else 0.0
            high += p if sum(combo) >= y.sum() else 0.0
        if min(low, high) < 0.05:
            assert result.p_drop == pytest.approx(low, rel=1e-9) and result.p_rise == pytest.approx(high, rel=1e-9)
            checked += 1


def test_a_reliably_passing_item_that_fails_is_strong_evidence_with_a_pooled_reference() -> None:
    # 12 items passed in all 20 reference runs and fail now: each has null probability 1/21
    y = np.zeros(12, dtype=int)
    result = _one_group(y, np.full(12, 20), np.full(12, 20))
    assert result.p_drop == pytest.approx(21.0 ** -12, rel=1e-9)
    assert result.delta == -1.0 and result.n_paired == 12
    # the same against a single baseline run: McNemar's 2^-12
    single = _one_group(y, np.ones(12), np.ones(12))
    assert single.p_drop == pytest.approx(2.0 ** -12, rel=1e-9)


def test_items_that_never_vary_carry_no_evidence() -> None:
    y = np.array([1, 1, 0, 0])
    result = _one_group(y, np.array([5, 5, 0, 0]), np.full(4, 5))
    assert result.p_drop == result.p_rise == 1.0 and result.informative == 0 and result.delta == 0.0


def test_groups_are_tested_separately_in_one_call() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    ref = np.full(6, 10)
    paired = np.array([True, True, True, True, True, False])
    results = group_tests(y, ref, np.full(6, 10), paired, np.array([0, 1, 2, 3, 4, 5, 0, 3]), np.array([0, 3, 6, 8]))
    assert [r.n_paired for r in results] == [3, 2, 2]
    assert results[0].p_drop == pytest.approx(11.0 ** -3) and results[1].p_drop == 1.0
    assert results[2].delta == pytest.approx(-0.5)


def test_holm() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p, 0.05) == [True, False, False, True]
    assert holm_adjusted(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [a <= 0.05 for a in holm_adjusted(p)] == holm(p, 0.05)
    assert evidence(1e-12) == pytest.approx(12) and evidence(0.0) == 300.0


def _mean_metric(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.asarray(weights @ values / weights.sum(axis=1))


def test_metric_bootstrap() -> None:
    rng = np.random.default_rng(2)
    ref = (rng.random(100) < 0.8).astype(float)
    clusters = np.arange(100) // 2
    same = metric_test(_mean_metric, ref.copy(), ref, clusters, 200, seed=1)
    assert same is not None and same.delta == 0.0 and same.p_drop == 1.0
    worse = ref.copy()
    worse[np.flatnonzero(ref)[:30]] = 0.0
    result = metric_test(_mean_metric, worse, ref, clusters, 200, seed=1)
    assert result is not None and result.delta == pytest.approx(-0.3) and result.p_drop < 1e-6
    assert result.p_rise > 0.99 and result.ci_low < -0.3 < result.ci_high
    assert metric_test(lambda v, w: np.full(w.shape[0], np.nan), worse, ref, clusters, 50, seed=1) is None
