"""Load the official MultiTrust data from a copy the user downloaded, in MMTrustEval's layout.

The data set is licensed for non-commercial research and cannot ship with the project; a user who has it points
``suite.official_data`` (or ``trust-monitor probes list --official DIR``) at the toolkit's ``data/`` folder. Every
task whose files are present becomes an :class:`OfficialTask` that the same runner executes and scores with the
``multitrust`` profile, so numbers are comparable with the published leaderboard. A task whose files are missing
is reported as skipped with the path looked for, and so is a task whose files cannot be read (malformed JSON or
CSV, missing columns, bad encoding, a sample image that does not exist): the reason names the file and what is
wrong. One task's bad files never stop the others, the CLI or the service (``load_official`` does not raise).

Layout facts (paths relative to the data folder, prompts as the toolkit words them) are recorded per loader.
Unrelated images come from ``unrelated_images/`` (files named ``*color*``, ``*nature*``, ``*noise*``), chosen by a
seeded hash of the sample id — the toolkit drew them unseeded.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from probes.catalogue import Sample, Task, all_tasks

log = logging.getLogger(__name__)
UNRELATED_DIR = "unrelated_images"
_UNRELATED_KIND = {"unrelated_color": "color", "unrelated_photo": "nature", "unrelated_noise": "noise"}


class OfficialDataError(ValueError):
    """A file of the official layout exists but cannot be read as expected (names the file and the problem)."""


def read_json(path: Path) -> Any:
    """A JSON file of the official data, or an OfficialDataError naming it and what is wrong."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OfficialDataError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise OfficialDataError(f"{path}: not valid JSON: {exc}") from None


def csv_rows(path: Path, columns: set[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file with at least ``columns``, or an OfficialDataError naming it."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = columns - set(reader.fieldnames or [])
            if missing:
                raise OfficialDataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            return [(reader.line_num, {k: v or "" for k, v in row.items() if k is not None}) for row in reader]
    except OSError as exc:
        raise OfficialDataError(f"{path}: cannot read: {exc.strerror}") from None


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
    """Reads one task's official files; ``required`` are the paths that must exist (relative to the data dir).

    ``overrides`` replaces fields of the catalogue task for the official data where the original's task differs
    from the shipped one (e.g. S.6's prompt x image grid as single-image samples, T.5's judge that compares with
    the file's ground truth)."""

    required: tuple[str, ...]
    load: Callable[[Path], list[Sample]]
    needs_unrelated: bool = False
    overrides: Mapping[str, object] = field(default_factory=dict)


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
            h.update(repr((task.scorer, task.variants, task.variant_weights)).encode())
            for s in task.samples:
                h.update(json.dumps([s.id, s.prompt, s.image, s.target], sort_keys=True, default=str).encode())
                if s.image:
                    h.update(str(_size(Path(s.image))).encode())
        return "official-" + h.hexdigest()[:12]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


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
    """Every requested task (default: all) whose official files are present and readable under ``root``.

    Never raises for bad data: each task that cannot be loaded is in ``skipped`` with its reason (the file and
    what is wrong with it), and the other tasks load as usual."""
    root = Path(root)
    _import_loaders()
    catalogue = all_tasks()
    suite = OfficialSuite(root=root)
    if not root.is_dir():
        why = f"official data folder {root} does not exist" if not root.exists() else \
            f"official data path {root} is not a folder"
        suite.skipped = {tid: why for tid in task_ids or list(catalogue)}
        return suite
    for tid in task_ids or list(catalogue):
        loader = LOADERS.get(tid)
        task = catalogue.get(tid)
        if loader is None or task is None:
            suite.skipped[tid] = "no official-data loader for this task" if task is not None else "unknown task"
            continue
        try:
            loaded = _load_task(root, task, loader)
        except OfficialDataError as exc:
            suite.skipped[tid] = str(exc)
        except Exception as exc:  # a loader's unforeseen failure skips its task, never the suite
            log.warning("official data: loading %s failed", tid, exc_info=True)
            suite.skipped[tid] = f"cannot be loaded: {_describe(exc)}"
        else:
            suite.tasks[tid] = loaded
        if tid in suite.skipped:
            log.debug("official data: %s skipped: %s", tid, suite.skipped[tid])
    return suite


def _load_task(root: Path, task: Task, loader: Loader) -> OfficialTask:
    needed = [*loader.required, *([UNRELATED_DIR] if loader.needs_unrelated else [])]
    missing = [root / rel for rel in needed if not (root / rel).exists()]
    if missing:
        raise OfficialDataError(f"files missing: looked for {missing[0]}")
    try:
        samples = loader.load(root)
    except OfficialDataError:
        raise
    except UnicodeDecodeError as exc:
        raise OfficialDataError(f"a file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (OSError, csv.Error, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise OfficialDataError(f"cannot be loaded: {_describe(exc)}") from None
    if not samples:
        raise OfficialDataError(f"no samples found under {root / loader.required[0]}")
    absent = next((s for s in samples if s.image and not Path(s.image).is_file()), None)
    if absent is not None:  # the runner would fail on every request with it; a partial set is not scored
        raise OfficialDataError(f"image missing: {absent.image} (sample {absent.id})")
    if loader.needs_unrelated:
        for kind in sorted(set(_UNRELATED_KIND.values())):
            if not any(p.is_file() for p in (root / UNRELATED_DIR).glob(f"*{kind}*")):
                raise OfficialDataError(f"files missing: no '*{kind}*' image under {root / UNRELATED_DIR}")
    fields = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)}
    fields.update(loader.overrides)
    fields["fidelity"] = f"Official MultiTrust data from {root}; scored with the multitrust profile."
    return OfficialTask(**fields, root=root, loaded=tuple(samples))


def _describe(exc: BaseException) -> str:
    """An exception as a short line: OS errors name the file and the OS's reason."""
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
