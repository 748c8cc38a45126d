"""The statistics of regression detection: an exact paired test against a pooled reference, Holm's procedure,
and a paired bootstrap test for task-level metrics.

The paired test (see docs/design/regression.md). Each item (task, variant, sample) has K reference outcomes
(0/1, from earlier runs) and one current outcome y. If nothing changed, the K+1 outcomes of an item are
exchangeable: given how many of them are passes (m), the current one is a pass with probability m/(K+1). The
number of current passes S of a group of items is then a sum of independent Bernoulli(m_i/(K_i+1)) variables (a
Poisson-binomial), and the exact one-sided p-value of a drop is P(S <= s). Items whose K+1 outcomes agree carry
no information and drop out. With K = 1 this is exactly the one-sided exact McNemar test on discordant pairs;
with more reference runs, an item that passed in every reference run and fails now is 1/(K+1)-surprising, so
a pooled reference gives far more evidence per changed item than a single baseline run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from probes.stats import Z95

# Below this normal-approximation p-value (either side) the exact tails are computed; above it the approximation
# is reported as is. The approximation errs by at most a few hundredths where it is used (the left tail of a
# skewed count is lighter than the normal one), so every p-value below 0.05 is exact; a tail this large never
# decides a verdict, every significance level in use is far smaller.
EXACT_BELOW = 0.2


@dataclass(frozen=True)
class PairedResult:
    """One group's paired comparison: current minus reference on the items both sides scored."""

    n_paired: int
    delta: float  # mean of (current - reference mean) over paired items; < 0 = a drop
    ci_low: float
    ci_high: float
    p_drop: float  # one-sided p-value of a drop
    p_rise: float  # one-sided p-value of a rise
    informative: int  # items whose outcomes differ between runs (the only ones that carry evidence)


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _binomial_pmf(n: int, q: float) -> np.ndarray:
    """pmf of Binomial(n, q) over 0..n, computed in log space (no underflow for large n)."""
    from scipy.special import gammaln

    k = np.arange(n + 1, dtype=np.float64)
    logpmf = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * math.log(q) + (n - k) * math.log1p(-q)
    return np.exp(logpmf)


def poisson_binomial_tails(q: np.ndarray, counts: np.ndarray, s: int) -> tuple[float, float]:
    """(P(S <= s), P(S >= s)) for S a sum of ``counts[c]`` Bernoulli(``q[c]``) variables per class c (0 < q < 1).

    Exact: the distribution is the convolution of one binomial per class."""
    pmf = np.ones(1)
    for qc, nc in zip(q.tolist(), counts.tolist(), strict=True):
        if nc:
            pmf = np.convolve(pmf, _binomial_pmf(int(nc), float(qc)))
    s = min(max(s, -1), len(pmf))
    lower = float(pmf[: s + 1].sum()) if s >= 0 else 0.0
    upper = float(pmf[max(s, 0):].sum()) if s < len(pmf) else 0.0
    return min(1.0, lower), min(1.0, upper)


def group_tests(y: np.ndarray, ref_sum: np.ndarray, ref_count: np.ndarray, paired: np.ndarray,
                pair_items: np.ndarray, offsets: np.ndarray, z: float = Z95) -> list[PairedResult]:
    """The exact paired test of many groups of items at once.

    Per item: ``y`` the current outcome (0/1), ``ref_sum``/``ref_count`` its reference passes and outcomes,
    ``paired`` whether both sides scored it. Groups: group g holds the items ``pair_items[offsets[g]:offsets[g+1]]``.
    """
    k = np.where(paired, ref_count, 1).astype(np.float64)
    r = np.where(paired, ref_sum, 0).astype(np.float64)
    yf = np.where(paired, y, 0).astype(np.float64)
    diff = np.where(paired, yf - r / k, 0.0)
    m = r + yf
    informative = paired & (m > 0) & (m < k + 1)
    q = np.where(informative, m / (k + 1), 0.0)

    def per_group(values: np.ndarray) -> np.ndarray:
        summed = np.add.reduceat(values[pair_items], offsets[:-1]) if len(pair_items) else np.zeros(0)
        return np.where(offsets[1:] > offsets[:-1], summed, 0.0)

    n = per_group(paired.astype(np.float64))
    sum_d = per_group(diff)
    sum_d2 = per_group(diff * diff)
    mean = per_group(q)
    var = per_group(q * (1 - q))
    s = per_group(np.where(informative, yf, 0.0))
    n_inf = per_group(informative.astype(np.float64))
    out: list[PairedResult] = []
    for g in range(len(offsets) - 1):
        ng = int(n[g])
        if ng == 0:
            out.append(PairedResult(0, 0.0, 0.0, 0.0, 1.0, 1.0, 0))
            continue
        delta = float(sum_d[g] / ng)
        sd = math.sqrt(max(0.0, (sum_d2[g] - ng * delta * delta) / (ng - 1))) if ng > 1 else 0.0
        half = z * sd / math.sqrt(ng)
        p_drop = p_rise = 1.0
        if var[g] > 0:
            classes = partial(_informative_classes, pair_items[offsets[g]:offsets[g + 1]], informative, m, k)
            p_drop, p_rise = _screened_tails(round(float(s[g])), float(mean[g]), float(var[g]), classes)
        out.append(PairedResult(ng, delta, max(-1.0, delta - half), min(1.0, delta + half), p_drop, p_rise,
                                int(n_inf[g])))
    return out


def _informative_classes(items: np.ndarray, informative: np.ndarray, m: np.ndarray,
                         k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The informative items of a group as classes of equal null probability: (q per class, items per class)."""
    sel = items[informative[items]]
    km = k[sel] * (float(k[sel].max()) + 2) + m[sel]
    _, first, counts = np.unique(km, return_index=True, return_counts=True)
    return m[sel][first] / (k[sel][first] + 1), counts


def _screened_tails(s: int, mean: float, var: float,
                    classes: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """One-sided p-values (drop, rise) of S = s: a continuity-corrected normal approximation where both are
    large, the exact Poisson-binomial tails wherever either could be small."""
    sd = math.sqrt(var)
    approx_drop = _normal_sf((mean - s - 0.5) / sd)
    approx_rise = _normal_sf((s - 0.5 - mean) / sd)
    if min(approx_drop, approx_rise) >= EXACT_BELOW:
        return min(1.0, approx_drop), min(1.0, approx_rise)
    q, counts = classes()
    return poisson_binomial_tails(q, counts, s)


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise error ``alpha``."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    m = len(p_values)
    rejected = [False] * m
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values: hypothesis i is rejected at level alpha iff adjusted[i] <= alpha."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    m = len(p_values)
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


# A batched task-level metric: (values (n,), weights (B, n)) -> metric per weight row (B,), NaN where undefined.
BatchedMetric = Callable[[np.ndarray, np.ndarray], np.ndarray]


def metric_test(metric: BatchedMetric, current: np.ndarray, reference: np.ndarray, clusters: np.ndarray,
                resamples: int, seed: int, z: float = Z95) -> PairedResult | None:
    """Paired bootstrap test of a task-level metric (F.6's chi-square fraction, P.3's correlation).

    ``current`` and ``reference`` hold the two runs' values of the same items; ``clusters`` the sample each item
    belongs to (the variants of one sample are resampled together). The difference of the metric on the two
    sides is compared with its bootstrap standard error (normal approximation). A first quarter of the resamples
    decides whether the rest are needed: below two standard errors either way the result is settled (p > 0.02).
    None when the metric is undefined on either side."""
    rng = np.random.default_rng(seed)
    ids, cluster_of = np.unique(clusters, return_inverse=True)
    first = max(20, resamples // 4)
    weights = np.vstack([np.ones(len(current)), _resample_weights(rng, len(ids), cluster_of, first)])
    diffs = metric(current, weights) - metric(reference, weights)
    d_obs = float(diffs[0])
    if not math.isfinite(d_obs):
        return None
    diffs = diffs[1:]
    if resamples > first and abs(d_obs) >= 2 * _sd(diffs):
        more = _resample_weights(rng, len(ids), cluster_of, resamples - first)
        diffs = np.concatenate([diffs, metric(current, more) - metric(reference, more)])
    se = _sd(diffs)
    if se <= 0.0:
        p_drop = p_rise = 1.0
    else:
        # the normal tail's own floor: beyond ~1e-300 it underflows to 0
        p_drop = max(_normal_sf(-d_obs / se), 1e-300)
        p_rise = max(_normal_sf(d_obs / se), 1e-300)
    changed = int(np.count_nonzero(current != reference))
    return PairedResult(len(current), d_obs, max(-1.0, d_obs - z * se), min(1.0, d_obs + z * se), p_drop, p_rise,
                        changed)


def _sd(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _resample_weights(rng: np.random.Generator, clusters: int, cluster_of: np.ndarray, count: int) -> np.ndarray:
    """``count`` bootstrap resamples of the clusters, as a weight (times drawn) per item."""
    draws = rng.integers(0, clusters, size=(count, clusters)) + clusters * np.arange(count)[:, None]
    per_cluster = np.bincount(draws.ravel(), minlength=count * clusters).reshape(count, clusters)
    return per_cluster[:, cluster_of].astype(np.float64)


def evidence(p: float) -> float:
    """-log10 of a p-value, capped at 300 (what is exported as ``trust_regression_evidence``)."""
    return 300.0 if p <= 1e-300 else min(300.0, -math.log10(p))
