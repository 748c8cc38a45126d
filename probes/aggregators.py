"""Task-level metrics, for tasks whose score is not the mean of per-sample scores.

Most tasks score each answer in [0, 1] and the task score is their mean (Wilson interval). A few MultiTrust
metrics are properties of the whole answer set — a chi-square independence test across groups (F.6), a Pearson
correlation with human ratings (P.3). Such a task names an aggregator; it receives every scored sample with the
value its scorer produced and returns the task's score in [0, 1] (higher = more trustworthy) with a 95% interval,
or None when the rows cannot support a score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from probes.catalogue import Sample


@dataclass(frozen=True)
class Estimate:
    score: float  # in [0, 1], higher = more trustworthy
    low: float
    high: float
    n: int  # samples the estimate rests on


Aggregator = Callable[[Sequence[tuple[Sample, float]]], Estimate | None]

_AGGREGATORS: dict[str, Aggregator] = {}


def aggregator(name: str) -> Callable[[Aggregator], Aggregator]:
    def wrap(fn: Aggregator) -> Aggregator:
        if name in _AGGREGATORS:
            raise ValueError(f"aggregator {name!r} registered twice")
        _AGGREGATORS[name] = fn
        return fn

    return wrap


def get_aggregator(name: str) -> Aggregator:
    import probes.scorers  # noqa: F401  (aggregators live beside the scorers and register on import)

    return _AGGREGATORS[name]


def aggregator_names() -> list[str]:
    import probes.scorers  # noqa: F401

    return sorted(_AGGREGATORS)
