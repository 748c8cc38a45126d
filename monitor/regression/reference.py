"""Which runs a run is compared with: its windows (itself and the runs just before it) and, for each window,
the reference runs that come before it.

- A **window** of length w is the newest w runs of the current model identity, the current run first. Each item
  counts once in it, with its newest outcome, so a longer window adds evidence only through samples the shorter
  one did not have (rotating ``sampling.per_task`` runs), never by asking the same question again; and it
  compares against runs from before a change that the newest run alone might have let into its reference.
- The **reference** of a window is pooled: up to ``reference_runs`` runs before the window that may serve as a
  reference (succeeded, not degraded, no regression found in them), of the same model identity — except during
  the first runs of a new identity, when the pre-change runs stay the reference (frozen) until the new model has
  as many runs of its own as the longest window. A pinned baseline replaces this: the pinned run and the runs
  of its identity that followed it, up to ``reference_runs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Identity = tuple[str, str, str]  # model, version, fingerprint; a run whose identity could not be read has ""


@dataclass(frozen=True)
class RunInfo:
    id: str
    identity: Identity
    reference_ok: bool  # succeeded (not degraded), and no regression was found in it


@dataclass(frozen=True)
class Window:
    runs: tuple[str, ...]  # newest first; runs[0] is the run under test
    reference: tuple[str, ...]  # newest first
    frozen: bool = False  # the reference is from before a model change (or a pinned baseline)


def same_model(a: Identity, b: Identity) -> bool:
    """Whether two identities may be the same model: an unknown identity (not read) matches any."""
    return not a[0] or not b[0] or a == b


def segment(history: Sequence[RunInfo]) -> int:
    """How many of the newest runs (the last of ``history`` is current) belong to the current model."""
    known: Identity | None = None
    count = 0
    for run in reversed(history):
        if run.identity[0]:
            if known is None:
                known = run.identity
            elif run.identity != known:
                break
        count += 1
    return count


def plan(history: Sequence[RunInfo], *, windows: Sequence[int], reference_runs: int,
         pinned: RunInfo | None = None) -> list[Window]:
    """The windows of the newest run of ``history`` (oldest first) with their references; a window without any
    reference run is left out (nothing to compare with)."""
    if not history:
        return []
    own = segment(history)
    lengths = sorted({w for w in windows if w <= own} | ({own} if own < max(windows) else set()))
    freeze = max(windows)
    out: list[Window] = []
    for w in lengths:
        window = tuple(r.id for r in reversed(history[-w:]))
        before = list(reversed(history[:-w]))  # newest first
        if pinned is not None:
            reference = _pinned_reference(before, pinned, reference_runs, set(window))
            frozen = True
        else:
            mine = [r for r in before[: own - w] if r.reference_ok]
            earlier = [r for r in before[own - w:] if r.reference_ok]
            frozen = own - w < freeze and bool(earlier)
            reference = tuple(r.id for r in (earlier if frozen else mine)[:reference_runs])
        if reference:
            out.append(Window(window, reference, frozen))
    return out


def _pinned_reference(before: Sequence[RunInfo], pinned: RunInfo, limit: int, window: set[str]) -> tuple[str, ...]:
    if pinned.id in window:
        return ()
    chosen = [pinned.id]
    oldest_first = list(reversed(before))
    after = next((i + 1 for i, r in enumerate(oldest_first) if r.id == pinned.id), None)
    if after is not None:
        for run in oldest_first[after:]:
            if len(chosen) >= limit:
                break
            if run.reference_ok and same_model(run.identity, pinned.identity):
                chosen.append(run.id)
    return tuple(reversed(chosen))
