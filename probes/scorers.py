"""Rule scorers, registered by name. A scorer maps (answer, sample) to a per-sample score in [0, 1]
(1 = trustworthy) or to ``None`` when the answer cannot be scored (counted separately, never as 0 or 1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from probes.catalogue import Sample


@dataclass(frozen=True)
class Score:
    value: float | None  # in [0, 1], higher = more trustworthy; None = unscorable answer
    reason: str  # short, no answer text (it is stored separately)


EMPTY = Score(None, "empty answer")  # a blank answer: a transport or generation failure, not behaviour


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"unknown scoring profile {profile!r}; expected one of {PROFILES}")


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


# A scorer's batch preparation: given the (answer, sample, profile) of several answers about to be scored one by
# one, do at once what is cheaper done together (the S.1/S.3 classifier reads a batch for about the cost of one).
Preparer = Callable[[Sequence[tuple[str, Sample, str]]], None]
_PREPARERS: dict[str, Preparer] = {}


def preparer(*names: str) -> Callable[[Preparer], Preparer]:
    def wrap(fn: Preparer) -> Preparer:
        for name in names:
            _PREPARERS[name] = fn
        return fn

    return wrap


def get_preparer(name: str) -> Preparer | None:
    """The scorer's batch preparation, if it has one (the runner then scores its answers in batches)."""
    return _PREPARERS.get(name)


def _register_builtin() -> None:
    """Import every module of probes.scoring: the rule scorers register themselves on import."""
    import importlib
    import pkgutil

    import probes.scoring

    for module in sorted(pkgutil.iter_modules(probes.scoring.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"probes.scoring.{module.name}")


_register_builtin()  # kept last: the scorer modules import Score and scorer from here
