"""Regenerate the shipped probe data: ``python -m probes.generate [--check] [--out DIR]``.

Writes ``probes/data/<task id>/samples.jsonl`` plus images for every task that has a builder, and the shared
unrelated images under ``probes/data/unrelated/{color,photo,noise}/``. Everything comes from fixed seeds and
written-for-the-project text; PNGs and JSON are written with fixed settings, so a regeneration is
byte-identical (given the same Pillow/FreeType/zlib and scikit-image versions). ``--check`` regenerates into a
temporary directory and compares; it exits 1 and lists the differing paths if the shipped data is stale.

Prints only paths and counts - never prompts (some are harmful requests or contain synthetic PII).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image

from probes.catalogue import DATA_DIR, Sample, all_tasks
from probes.tasks._render import BUILDERS, Builder, save_png

UNRELATED_SEED = 7
UNRELATED_COLORS: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 40), "green": (40, 150, 70), "blue": (40, 70, 190), "yellow": (235, 200, 40),
}
# Photos bundled with scikit-image (public domain / CC0 per skimage.data's documentation).
UNRELATED_PHOTOS: tuple[str, ...] = ("astronaut", "chelsea", "coffee", "rocket")
PHOTO_MAX_SIDE = 288
NOISE_COUNT = 3
NOISE_SIZE = 224


def _write_samples(task_dir: Path, samples: list[Sample]) -> None:
    lines = [json.dumps(asdict(s), sort_keys=True, ensure_ascii=False) for s in samples]
    (task_dir / "samples.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def build_unrelated(out: Path) -> int:
    """Plain colours, natural photos and seeded noise: the images sent in the unrelated_* variants."""
    for name, rgb in UNRELATED_COLORS.items():
        save_png(Image.new("RGB", (224, 224), rgb), out / "color" / f"{name}.png")
    import skimage.data  # only needed to regenerate

    for name in UNRELATED_PHOTOS:
        img = Image.fromarray(np.asarray(getattr(skimage.data, name)())).convert("RGB")
        scale = PHOTO_MAX_SIDE / max(img.size)
        size = (round(img.width * scale), round(img.height * scale))
        save_png(img.resize(size, Image.Resampling.LANCZOS), out / "photo" / f"{name}.png")
    rs = np.random.RandomState(UNRELATED_SEED)
    for i in range(NOISE_COUNT):
        arr = rs.randint(0, 256, size=(NOISE_SIZE, NOISE_SIZE, 3)).astype(np.uint8)
        save_png(Image.fromarray(arr, "RGB"), out / "noise" / f"noise_{i}.png")
    return len(UNRELATED_COLORS) + len(UNRELATED_PHOTOS) + NOISE_COUNT


def managed_dirs() -> list[str]:
    """Data sub-directories owned by the generator (relative to the data dir)."""
    all_tasks()  # importing the task modules registers their builders
    return [*sorted(BUILDERS), "unrelated"]


def _surrogate_builders(surrogate: Path, steps: int) -> dict[str, Builder]:
    """R.4/R.5 built with PGD against a local surrogate model instead of the shipped surrogate-free set."""
    from probes.tasks import r4_untargeted_adversarial as r4
    from probes.tasks import r5_targeted_adversarial as r5

    return {"R.4": lambda out: r4.build_with_surrogate(out, surrogate, steps),
            "R.5": lambda out: r5.build_with_surrogate(out, surrogate, steps)}


def generate(data_dir: Path, verbose: bool = False, only: set[str] | None = None,
             surrogate: Path | None = None, surrogate_steps: int = 50) -> None:
    """Rebuild every task's data (or only the tasks in ``only``, leaving the shared unrelated images alone).

    With ``surrogate`` (a local transformers vision model directory), R.4 and R.5 are attacked with PGD on it; the
    result is a different suite (its version hash changes), so write it where you run it from (``--out``).
    """
    all_tasks()
    builders = dict(BUILDERS)
    if surrogate is not None:
        builders.update(_surrogate_builders(surrogate, surrogate_steps))
    unknown = sorted((only or set()) - set(BUILDERS))
    if unknown:
        raise SystemExit(f"no builder for task(s) {', '.join(unknown)}")
    for task_id, build in sorted(builders.items()):
        if only is not None and task_id not in only:
            continue
        task_dir = data_dir / task_id
        if task_dir.exists():
            shutil.rmtree(task_dir)
        task_dir.mkdir(parents=True)
        samples = build(task_dir)
        _write_samples(task_dir, samples)
        if verbose:
            print(f"{task_id}: {len(samples)} samples -> {task_dir}")
    if only is not None:
        return
    unrelated = data_dir / "unrelated"
    if unrelated.exists():
        shutil.rmtree(unrelated)
    n = build_unrelated(unrelated)
    if verbose:
        print(f"unrelated: {n} images -> {unrelated}")


def compare(expected: Path, actual: Path) -> list[str]:
    """Paths (relative) that differ between two data dirs, over the generator-managed sub-directories."""
    diffs: list[str] = []
    for sub in managed_dirs():
        left = {p.relative_to(expected).as_posix(): p for p in (expected / sub).rglob("*") if p.is_file()}
        right = {p.relative_to(actual).as_posix(): p for p in (actual / sub).rglob("*") if p.is_file()}
        for rel in sorted(left.keys() | right.keys()):
            if rel not in left or rel not in right or left[rel].read_bytes() != right[rel].read_bytes():
                diffs.append(rel)
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m probes.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the shipped data is up to date")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="data directory to write (default: shipped)")
    parser.add_argument("--tasks", help="comma-separated task ids to rebuild (default: all, and the unrelated images)")
    parser.add_argument("--surrogate", type=Path, metavar="MODEL_DIR",
                        help="attack R.4/R.5 with PGD on this local transformers vision model (not the shipped set)")
    parser.add_argument("--surrogate-steps", type=int, default=50, help="PGD steps per image (default 50)")
    args = parser.parse_args(argv)
    only = {t.strip() for t in args.tasks.split(",") if t.strip()} if args.tasks else None
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            diffs = compare(args.out, Path(tmp))
        if diffs:
            print(f"{len(diffs)} generated file(s) differ from {args.out}:")
            for rel in diffs:
                print(f"  {rel}")
            return 1
        print("probe data is up to date")
        return 0
    if args.surrogate is not None and not args.surrogate.is_dir():
        parser.error(f"--surrogate {args.surrogate}: no such model directory")
    generate(args.out, verbose=True, only=only, surrogate=args.surrogate, surrogate_steps=args.surrogate_steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
