"""The probe catalogue: each MultiTrust task is one small declaration; one runner executes them all.

A task declares its metadata (dimension, sub-dimension, modality, variants, scorer, direction) and where its
shipped samples live. Samples are JSON lines under ``probes/data/<task id>/samples.jsonl`` with images beside
them, produced by ``python -m probes.generate`` (deterministic, byte-identical on regeneration).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"


class Dimension(str, enum.Enum):
    TRUTHFULNESS = "truthfulness"
    SAFETY = "safety"
    ROBUSTNESS = "robustness"
    FAIRNESS = "fairness"
    PRIVACY = "privacy"


# dimension -> its two sub-dimensions (labels are snake_case, used in metric labels)
SUBDIMENSIONS: dict[Dimension, tuple[str, str]] = {
    Dimension.TRUTHFULNESS: ("inherent_deficiency", "misguided_mistakes"),
    Dimension.SAFETY: ("toxicity", "jailbreaking"),
    Dimension.ROBUSTNESS: ("out_of_distribution", "adversarial_attack"),
    Dimension.FAIRNESS: ("stereotype", "bias_preference"),
    Dimension.PRIVACY: ("privacy_awareness", "privacy_leakage"),
}


class Modality(str, enum.Enum):
    MM = "mm"  # image + text, one variant
    TXT_IMG = "txt_img"  # text task asked text-only, with a related image and with unrelated images


# The cross-modal variants, as in the original: text only, a related image, three unrelated images.
TXT_IMG_VARIANTS: tuple[str, ...] = ("text", "related", "unrelated_color", "unrelated_photo", "unrelated_noise")
UNRELATED_VARIANTS: tuple[str, ...] = ("unrelated_color", "unrelated_photo", "unrelated_noise")


@dataclass(frozen=True)
class Sample:
    """One probe: the prompt, an optional image (path relative to the task's data dir) and the scorer's target."""

    id: str
    prompt: str
    image: str | None = None
    target: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A MultiTrust task declaration. ``direction`` says how the raw metric reads before flipping to a score."""

    id: str  # "T.1"
    name: str
    dimension: Dimension
    subdimension: str
    modality: Modality
    scorer: str  # name in probes.scorers registry
    summary: str  # what it probes, one sentence
    original_metric: str
    fidelity: str  # how it differs from the original and why
    variants: tuple[str, ...] = ("default",)
    # weights of [text, related, mean(unrelated)] for Txt×img tasks (original: equal; T.4/T.7: 0.7/0.3)
    variant_weights: dict[str, float] | None = None
    # a task-level metric (probes.aggregators) instead of the mean of per-sample scores, e.g. F.6's chi-square
    aggregator: str | None = None
    # where the original used a GPT-4 judge: a yes/no question for the configured judge endpoint ("yes" = the
    # answer is trustworthy), with {question}, {answer} and {target[...]} placeholders; the rule scorer otherwise
    judge_prompt: str | None = None

    def __post_init__(self) -> None:
        if self.subdimension not in SUBDIMENSIONS[self.dimension]:
            raise ValueError(f"{self.id}: {self.subdimension!r} is not a sub-dimension of {self.dimension.value}")

    @property
    def data_dir(self) -> Path:
        return DATA_DIR / self.id

    @cached_property
    def samples(self) -> tuple[Sample, ...]:
        path = self.data_dir / "samples.jsonl"
        out: list[Sample] = []
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                    out.append(Sample(id=raw["id"], prompt=raw["prompt"], image=raw.get("image"),
                                      target=raw.get("target", {})))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{lineno}: invalid sample: {exc}") from None
        return tuple(out)

    @cached_property
    def samples_by_id(self) -> dict[str, Sample]:
        return {s.id: s for s in self.samples}

    def image_path(self, sample: Sample, variant: str) -> Path | None:
        """The image sent with ``sample`` in ``variant`` (None = text only)."""
        if self.modality is Modality.MM:
            return self.data_dir / sample.image if sample.image else None
        if variant == "text":
            return None
        if variant == "related":
            return self.data_dir / sample.image if sample.image else None
        return unrelated_image_path(variant, sample.id)

    def items(self) -> Iterator[tuple[str, Sample]]:
        for variant in self.variants:
            for sample in self.samples:
                yield variant, sample


def unrelated_image_path(variant: str, sample_id: str) -> Path:
    """Seeded choice among the shipped unrelated images of a kind (the original drew these unseeded)."""
    kind = variant.removeprefix("unrelated_")
    folder = DATA_DIR / "unrelated" / kind
    choices = sorted(folder.glob("*.png"))
    if not choices:
        raise FileNotFoundError(f"no unrelated images under {folder}")
    digest = int(hashlib.sha256(f"{variant}:{sample_id}".encode()).hexdigest(), 16)
    return choices[digest % len(choices)]


_TASKS: dict[str, Task] = {}


def register(task: Task) -> Task:
    if task.id in _TASKS:
        raise ValueError(f"task {task.id} registered twice")
    _TASKS[task.id] = task
    return task


def all_tasks() -> dict[str, Task]:
    """Every registered task by id, in catalogue order (T, S, R, F, P)."""
    import probes.tasks  # noqa: F401  (registers the declarations)

    order = {"T": 0, "S": 1, "R": 2, "F": 3, "P": 4}
    return dict(sorted(_TASKS.items(), key=lambda kv: (order[kv[0][0]], int(kv[0][2:]))))


def get_task(task_id: str) -> Task:
    tasks = all_tasks()
    if task_id not in tasks:
        raise KeyError(task_id)
    return tasks[task_id]


def suite_version() -> str:
    """Content hash of the whole shipped suite (declarations + sample files + images)."""
    h = hashlib.sha256()
    for task in all_tasks().values():
        h.update(repr((task.id, task.scorer, task.variants, task.variant_weights)).encode())
        for path in sorted(task.data_dir.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(DATA_DIR).as_posix().encode())
                h.update(hashlib.sha256(path.read_bytes()).digest())
    unrelated = DATA_DIR / "unrelated"
    for path in sorted(unrelated.rglob("*.png")):
        h.update(path.relative_to(DATA_DIR).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]
