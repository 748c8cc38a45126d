"""Load the official MultiTrust data from a copy the user downloaded, in MMTrustEval's layout.

The data set is licensed for non-commercial research and cannot ship with the project; a user who has it points
``suite.official_data`` (or ``trust-monitor probes list --official DIR``) at the toolkit's ``data/`` folder. Every
task whose files are present becomes an :class:`OfficialTask` that the same runner executes and scores with the
``multitrust`` profile, so numbers are comparable with the published leaderboard. A task whose files are missing
is reported as skipped with the path looked for; a task without a loader yet is reported as such.

Layout facts (paths relative to the data folder, prompts as the toolkit words them) are recorded per loader.
Unrelated images come from ``unrelated_images/`` (files named ``*color*``, ``*nature*``, ``*noise*``), chosen by a
seeded hash of the sample id — the toolkit drew them unseeded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from probes.catalogue import Sample, Task, all_tasks

UNRELATED_DIR = "unrelated_images"
_UNRELATED_KIND = {"unrelated_color": "color", "unrelated_photo": "nature", "unrelated_noise": "noise"}


class OfficialDataError(ValueError):
    """A file of the official layout exists but cannot be read as expected (names the file and the problem)."""


@dataclass(frozen=True)
class OfficialTask(Task):
    """A catalogue task whose samples come from the user's official data."""

    root: Path = Path()
    loaded: tuple[Sample, ...] = ()

    @property
    def data_dir(self) -> Path:
        return self.root

    @cached_property
    def samples(self) -> tuple[Sample, ...]:  # type: ignore[override]
        return self.loaded

    def image_path(self, sample: Sample, variant: str) -> Path | None:
        if variant in _UNRELATED_KIND:
            kind = _UNRELATED_KIND[variant]
            choices = sorted(p for p in (self.root / UNRELATED_DIR).glob(f"*{kind}*") if p.is_file())
            if not choices:
                raise FileNotFoundError(f"no unrelated '{kind}' images under {self.root / UNRELATED_DIR}")
            digest = int(hashlib.sha256(f"{variant}:{sample.id}".encode()).hexdigest(), 16)
            return choices[digest % len(choices)]
        return super().image_path(sample, variant)


@dataclass(frozen=True)
class Loader:
    """Reads one task's official files; ``required`` are the paths that must exist (relative to the data dir)."""

    required: tuple[str, ...]
    load: Callable[[Path], list[Sample]]
    needs_unrelated: bool = False


@dataclass
class OfficialSuite:
    root: Path
    tasks: dict[str, OfficialTask] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # task id -> why (with the path looked for)

    def version(self) -> str:
        """Content hash of the loaded official samples (prompts, targets, image names and sizes)."""
        h = hashlib.sha256(b"official")
        for tid, task in sorted(self.tasks.items()):
            h.update(tid.encode())
            for s in task.samples:
                h.update(json.dumps([s.id, s.prompt, s.image, s.target], sort_keys=True, default=str).encode())
                if s.image:
                    path = Path(s.image)
                    h.update(str(path.stat().st_size if path.exists() else -1).encode())
        return "official-" + h.hexdigest()[:12]


# --- loader registry ----------------------------------------------------------------------------------------

LOADERS: dict[str, Loader] = {}


def register_loader(task_id: str, loader: Loader) -> Loader:
    if task_id in LOADERS:
        raise ValueError(f"official-data loader for {task_id} registered twice")
    LOADERS[task_id] = loader
    return loader


def _import_loaders() -> None:
    """Import every module of probes.official_loaders: each registers the loaders of its tasks."""
    import importlib
    import pkgutil

    import probes.official_loaders

    for module in sorted(pkgutil.iter_modules(probes.official_loaders.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"probes.official_loaders.{module.name}")


def load_official(root: str | Path, task_ids: list[str] | None = None) -> OfficialSuite:
    """Every requested task (default: all) whose official files are present under ``root``."""
    root = Path(root)
    _import_loaders()
    catalogue = all_tasks()
    suite = OfficialSuite(root=root)
    for tid in task_ids or list(catalogue):
        loader = LOADERS.get(tid)
        if loader is None:
            suite.skipped[tid] = "no official-data loader for this task yet"
            continue
        needed = [*loader.required, *( [UNRELATED_DIR] if loader.needs_unrelated else [])]
        missing = [root / rel for rel in needed if not (root / rel).exists()]
        if missing:
            suite.skipped[tid] = f"files missing: looked for {missing[0]}"
            continue
        samples = loader.load(root)
        if not samples:
            suite.skipped[tid] = f"no samples found under {root / loader.required[0]}"
            continue
        task = catalogue[tid]
        fields = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)}
        fields["fidelity"] = f"Official MultiTrust data from {root}; scored with the multitrust profile."
        suite.tasks[tid] = OfficialTask(**fields, root=root, loaded=tuple(samples))
    return suite


def is_official(task: Task) -> bool:
    return isinstance(task, OfficialTask)


__all__ = [
    "LOADERS",
    "Loader",
    "OfficialDataError",
    "OfficialSuite",
    "OfficialTask",
    "is_official",
    "load_official",
    "register_loader",
]
