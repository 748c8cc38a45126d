"""Rotating, stratified sample selection for periodic runs.

A scheduled run need not send the whole suite. Each task's samples are put in a fixed order that depends only on
the suite version and the task — shuffled within strata (the sample's expected answer, label or category), then
interleaved across strata — and run number ``r`` takes the ``k`` samples starting at position ``r·k`` (wrapping
around). So every window is balanced across strata, consecutive runs never repeat a sample until all have been
sent, and every sample is covered within ``ceil(N / k)`` runs. The same suite version and run number always
select the same samples.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import defaultdict

from probes.catalogue import Sample, Task

STRATUM_KEYS = ("answer", "label", "category", "kind", "stereotype")


def stratum(sample: Sample) -> str:
    return json.dumps({k: sample.target.get(k) for k in STRATUM_KEYS if k in sample.target}, sort_keys=True,
                      default=str)


_ORDERS: dict[tuple[str, str, tuple[str, ...]], list[Sample]] = {}


def rotation_order(task: Task, suite_version: str) -> list[Sample]:
    """The task's samples in their rotation order for this suite version (computed once, then remembered)."""
    key = (task.id, suite_version, tuple(s.id for s in task.samples))
    order = _ORDERS.get(key)
    if order is None:
        order = _ORDERS[key] = _rotation_order(task, suite_version)
    return list(order)


def _rotation_order(task: Task, suite_version: str) -> list[Sample]:
    seed = int(hashlib.sha256(f"{suite_version}:{task.id}".encode()).hexdigest()[:16], 16)
    rng = random.Random(seed)
    strata: dict[str, list[Sample]] = defaultdict(list)
    for sample in task.samples:
        strata[stratum(sample)].append(sample)
    queues = [strata[key] for key in sorted(strata)]
    for queue in queues:
        rng.shuffle(queue)
    rng.shuffle(queues)
    # interleave proportionally: repeatedly take from the stratum furthest behind its share
    total = sum(len(q) for q in queues)
    taken = [0] * len(queues)
    order: list[Sample] = []
    for i in range(total):
        best = max(range(len(queues)),
                   key=lambda j: (len(queues[j]) * (i + 1) / total - taken[j]) if taken[j] < len(queues[j]) else -1e9)
        order.append(queues[best][taken[best]])
        taken[best] += 1
    return order


def rotating_selection(task: Task, suite_version: str, per_task: int, run_number: int) -> list[Sample]:
    """The ``per_task`` samples of run ``run_number`` (0-based); all samples when per_task >= N."""
    order = rotation_order(task, suite_version)
    n = len(order)
    if per_task >= n:
        return order
    start = (run_number * per_task) % n
    return [order[(start + i) % n] for i in range(per_task)]


def runs_to_cover(task: Task, per_task: int) -> int:
    return max(1, math.ceil(len(task.samples) / per_task))
