"""The suite as the detector sees it: every (task, variant, sample) item at a fixed position, and the groups
(task, sub-dimension, dimension, overall) whose items are pooled in a paired test.

Tasks whose per-sample scores are trust outcomes (every task but those with a task-level metric such as F.6's
chi-square or P.3's correlation) are tested on their paired items, and their items are pooled into the
sub-dimension, dimension and overall tests. Metric tasks are tested on their own metric and pooled nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from probes.aggregators import get_batched_metric
from probes.catalogue import SUBDIMENSIONS, Task

TASK, SUBDIMENSION, DIMENSION, OVERALL = "task", "subdimension", "dimension", "overall"
LEVELS = (TASK, SUBDIMENSION, DIMENSION, OVERALL)


@dataclass(frozen=True)
class Group:
    """A node of the task → sub-dimension → dimension → overall tree; ``tasks``: the outcome tasks it pools."""

    level: str
    name: str  # task id, sub-dimension, dimension or "overall"
    dimension: str
    subdimension: str
    task: str
    tasks: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return self.level, self.name


@dataclass
class ItemIndex:
    """Positions of the items of a catalogue, and the groups over them."""

    catalogue: Mapping[str, Task]
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (task, variant, sample_id) per position
    position: dict[tuple[str, str, str], int] = field(default_factory=dict)
    task_slices: dict[str, slice] = field(default_factory=dict)
    outcome: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # sample number per item
    groups: list[Group] = field(default_factory=list)
    metric_tasks: list[str] = field(default_factory=list)
    # group membership as flat arrays: group g holds the items pair_items[offsets[g]:offsets[g + 1]]
    pair_items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    @classmethod
    def build(cls, catalogue: Mapping[str, Task]) -> ItemIndex:
        index = cls(catalogue)
        outcome: list[bool] = []
        clusters: list[int] = []
        for tid, task in catalogue.items():
            start = len(index.keys)
            is_metric = task.aggregator is not None and get_batched_metric(task.aggregator) is not None
            if is_metric:
                index.metric_tasks.append(tid)
            sample_number = {s.id: i for i, s in enumerate(task.samples)}
            for variant in task.variants:
                for sample in task.samples:
                    key = (tid, variant, sample.id)
                    index.position[key] = len(index.keys)
                    index.keys.append(key)
                    outcome.append(not is_metric)
                    clusters.append(sample_number[sample.id])
            index.task_slices[tid] = slice(start, len(index.keys))
        index.outcome = np.array(outcome, dtype=bool)
        index.clusters = np.array(clusters, dtype=np.int64)
        index.groups = _groups(catalogue, set(index.metric_tasks))
        parts = [index.group_items(g) for g in index.groups]
        index.offsets = np.cumsum([0] + [len(p) for p in parts]).astype(np.int64)
        index.pair_items = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
        return index

    @property
    def size(self) -> int:
        return len(self.keys)

    def values(self, rows: Iterable[tuple[str, str, str, float | None]]) -> np.ndarray:
        """One run's per-item scores as an array (NaN = not scored: error, unscorable, not sent)."""
        out = np.full(self.size, np.nan)
        for task, variant, sample_id, score in rows:
            if score is None:
                continue
            pos = self.position.get((task, variant, sample_id))
            if pos is not None:
                out[pos] = score
        return out

    def group_items(self, group: Group) -> np.ndarray:
        return np.concatenate([self.task_items(t) for t in group.tasks] or [np.zeros(0, dtype=np.int64)])

    def task_items(self, task: str) -> np.ndarray:
        sl = self.task_slices[task]
        return np.arange(sl.start, sl.stop)


def _groups(catalogue: Mapping[str, Task], metric_tasks: set[str]) -> list[Group]:
    groups: list[Group] = []
    every: list[str] = []
    for dim, subs in SUBDIMENSIONS.items():
        dim_tasks: list[str] = []
        for sub in subs:
            members = [tid for tid, t in catalogue.items() if t.subdimension == sub]
            for tid in members:
                groups.append(Group(TASK, tid, dim.value, sub, tid, (tid,)))
            pooled = tuple(t for t in members if t not in metric_tasks)
            if pooled:
                groups.append(Group(SUBDIMENSION, sub, dim.value, sub, "", pooled))
            dim_tasks.extend(pooled)
        if dim_tasks:
            groups.append(Group(DIMENSION, dim.value, dim.value, "", "", tuple(dim_tasks)))
        every.extend(dim_tasks)
    if every:
        groups.append(Group(OVERALL, "overall", "", "", "", tuple(every)))
    return groups
