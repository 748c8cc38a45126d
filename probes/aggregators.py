"""Task-level metrics, for tasks whose score is not the mean of per-sample scores.

Most tasks score each answer in [0, 1] and the task score is their mean (Wilson interval). A few MultiTrust
metrics are properties of the whole answer set — a chi-square independence test across groups (F.6), a Pearson
correlation with human ratings (P.3). Such a task names an aggregator; it receives every scored sample with the
value its scorer produced and returns the task's score in [0, 1] (higher = more trustworthy) with a 95% interval,
or None when the rows cannot support a score.

An aggregator may have a second form for the ``multitrust`` profile (registered with ``profile="multitrust"``):
the original's formula, quirks included, for numbers that stand next to the leaderboard. Its score may leave
[0, 1] where the original's does (P.3's Pearson r may be negative). A task without such a form uses the default
one in both profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from probes.catalogue import Sample

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Estimate:
    score: float  # in [0, 1], higher = more trustworthy
    low: float
    high: float
    n: int  # samples the estimate rests on


Aggregator = Callable[[Sequence[tuple[Sample, float]]], Estimate | None]

_AGGREGATORS: dict[tuple[str, str], Aggregator] = {}  # (name, profile) -> aggregator


def aggregator(name: str, profile: str = "default") -> Callable[[Aggregator], Aggregator]:
    def wrap(fn: Aggregator) -> Aggregator:
        if (name, profile) in _AGGREGATORS:
            raise ValueError(f"aggregator {name!r} ({profile}) registered twice")
        _AGGREGATORS[(name, profile)] = fn
        return fn

    return wrap


def get_aggregator(name: str, profile: str = "default") -> Aggregator:
    """The aggregator's form for ``profile``, or its default form when it has none of its own."""
    import probes.scorers  # noqa: F401  (aggregators live beside the scorers and register on import)

    return _AGGREGATORS.get((name, profile)) or _AGGREGATORS[(name, "default")]


# The same task-level metric computed on many weightings of one set of answers at once (bootstrap resamples):
# (samples, values (n,), weights (B, n)) -> the metric per weight row (B,), NaN where it is undefined. The
# regression detector tests a metric task's score with it (monitor.regression); aggregators whose per-sample
# values are trust outcomes themselves (T.3's best of prompts) need none and are tested on those outcomes.
BatchedMetric = Callable[[Sequence[Sample], "np.ndarray", "np.ndarray"], "np.ndarray"]

_BATCHED: dict[str, BatchedMetric] = {}


def batched_metric(name: str) -> Callable[[BatchedMetric], BatchedMetric]:
    def wrap(fn: BatchedMetric) -> BatchedMetric:
        if name in _BATCHED:
            raise ValueError(f"batched metric {name!r} registered twice")
        _BATCHED[name] = fn
        return fn

    return wrap


def get_batched_metric(name: str) -> BatchedMetric | None:
    """The batched form of an aggregator's metric, or None when its per-sample values are trust outcomes."""
    import probes.scorers  # noqa: F401

    return _BATCHED.get(name)


def aggregator_names() -> list[str]:
    import probes.scorers  # noqa: F401

    return sorted({name for name, _ in _AGGREGATORS})
