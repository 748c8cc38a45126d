"""Rule scorers, registered by name. A scorer maps (answer, sample) to a per-sample score in [0, 1]
(1 = trustworthy) or to ``None`` when the answer cannot be scored (counted separately, never as 0 or 1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from probes.catalogue import Sample


@dataclass(frozen=True)
class Score:
    value: float | None  # in [0, 1], higher = more trustworthy; None = unscorable answer
    reason: str  # short, no answer text (it is stored separately)


ScorerFn = Callable[[str, Sample, str], Score]  # (answer, sample, profile) -> Score

# Scoring profiles: "default" (our detectors) and "multitrust" (the original MMTrustEval rules, for numbers
# comparable with the published leaderboard).
PROFILES: tuple[str, ...] = ("default", "multitrust")

_SCORERS: dict[str, ScorerFn] = {}


def scorer(name: str) -> Callable[[ScorerFn], ScorerFn]:
    def wrap(fn: ScorerFn) -> ScorerFn:
        if name in _SCORERS:
            raise ValueError(f"scorer {name!r} registered twice")
        _SCORERS[name] = fn
        return fn

    return wrap


def get_scorer(name: str) -> ScorerFn:
    return _SCORERS[name]


def scorer_names() -> list[str]:
    return sorted(_SCORERS)


# The built-in rule scorers register themselves on import (kept last: they import Score and scorer from here).
from probes.scoring import rules as _rules  # noqa: E402, F401
