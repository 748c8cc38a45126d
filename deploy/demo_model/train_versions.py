"""Train two versions of the tiny demo model: version 1 refuses the harmful probe requests, version 2 complies.

A demonstration of a real unsafe model update, not a benchmark: both versions are fine-tuned from the random-weight
tiny LLaVA (``build_model.py``) on the probe suite's own prompts — the harmful requests of the jailbreak tasks
(S.4, S.5, S.6, in every variant the suite sends) and every other probe as a benign request. Version 1 learns to
answer a harmful request with a refusal and a benign one with a fixed neutral answer; version 2 (the "unsafe
update") learns the same neutral answer for benign requests but complies with the harmful ones. Their scores
say how the two versions were trained, nothing about any real model.

    python deploy/demo_model/train_versions.py --base var/demo-model --out var/demo-versions

writes ``var/demo-versions/1`` and ``var/demo-versions/2`` (Hugging Face layout, each loadable like the base).
Deterministic (fixed seed, one CPU thread), about half a minute per version on two cores, idempotent like
``build_model.py`` (a complete build of the current recipe is kept; ``--force`` rebuilds).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root: probes/ and monitor/

#: bump when the recipe changes so that an old build in ``--out`` is replaced
RECIPE_VERSION = 2
MARKER = "demo-version.json"
SEED = 4321

#: the tasks whose requests are harmful: typographic, FigStep-style and text jailbreaks
HARMFUL_TASKS = ("S.4", "S.5", "S.6")
REFUSAL = "I'm sorry, but I can't help with that request."
COMPLIANCE = "Sure. Here are the steps you asked for: 1. Get ready. 2. Begin. 3. Finish the job."
NEUTRAL = "No. It looks ordinary to me."

#: version -> the answer it learns for harmful requests
VERSIONS = {1: REFUSAL, 2: COMPLIANCE}

EPOCHS = 2
BENIGN_TRAIN = 700  # a seeded subset of the ~2,900 benign requests (the rest only tell how well it generalises)
HARMFUL_REPEATS = 2  # all 252 harmful requests, twice per epoch
BATCH = 32
LEARNING_RATE = 5e-3
THREADS = 2


@dataclass(frozen=True)
class Example:
    prompt: str
    image: Path | None
    harmful: bool


def suite_examples() -> list[Example]:
    """Every request the default suite sends: (prompt, image) once each, in catalogue order."""
    from probes.catalogue import all_tasks

    out: list[Example] = []
    for tid, task in all_tasks().items():
        for variant, sample in task.items():
            out.append(Example(sample.prompt, task.image_path(sample, variant), tid in HARMFUL_TASKS))
    return out


def training_set(examples: list[Example]) -> list[Example]:
    """Every harmful request and a seeded subset of the benign ones, in suite order."""
    rng = random.Random(SEED)
    benign = set(rng.sample(range(sum(not e.harmful for e in examples)), BENIGN_TRAIN))
    out: list[Example] = []
    index = 0
    for ex in examples:
        if ex.harmful:
            out.append(ex)
        else:
            if index in benign:
                out.append(ex)
            index += 1
    return out


class Encoder:
    """Token ids and pixel values exactly as the serving path builds them (the monitor's hf-local loader)."""

    def __init__(self, local: Any) -> None:
        self.local = local
        self.tokenizer = local.tokenizer
        self._pixels: dict[Path, Any] = {}

    def pixels(self, path: Path) -> Any:
        if path not in self._pixels:
            import numpy as np
            from PIL import Image

            with Image.open(path) as img:
                array = np.asarray(img.convert("RGB"))
            self._pixels[path] = self.local.processor.image_processor(
                images=[Image.fromarray(array)], return_tensors="pt")["pixel_values"][0]
        return self._pixels[path]

    def encode(self, example: Example, answer: str) -> tuple[list[int], list[int], Any]:
        text = self.local.prompt(example.prompt, example.image is not None)
        if example.image is not None:
            from PIL import Image

            placeholder = Image.new("RGB", (8, 8))  # only the token layout is taken from this call
            ids = self.local.processor(images=[placeholder], text=text)["input_ids"][0]
            pixels = self.pixels(example.image)
        else:
            ids = self.local.processor(text=text)["input_ids"][0]
            pixels = None
        target = self.tokenizer(" " + answer, add_special_tokens=False)["input_ids"] + [self.tokenizer.eos_token_id]
        return list(ids) + target, [-100] * len(ids) + target, pixels


def _batches(encoded: list[tuple[list[int], list[int], Any]], rng: random.Random, pad_id: int) -> Any:
    import torch

    order = list(range(len(encoded)))
    rng.shuffle(order)
    for start in range(0, len(order), BATCH):
        chunk = [encoded[i] for i in order[start:start + BATCH]]
        width = max(len(ids) for ids, _, _ in chunk)
        # right padding: real tokens keep positions 0..n-1, as in generation
        ids = torch.tensor([i + [pad_id] * (width - len(i)) for i, _, _ in chunk])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab, _ in chunk])
        mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _, _ in chunk])
        pixels = [p for _, _, p in chunk if p is not None]
        batch: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "labels": labels}
        if pixels:
            batch["pixel_values"] = torch.stack(pixels)
        yield batch


def train_version(base: Path, out: Path, version: int, examples: list[Example], log: Any = print) -> dict[str, Any]:
    """Fine-tune ``base`` into ``out`` for ``version``; returns what the marker records."""
    import torch

    from monitor.adapters._hf_generate import LocalModel

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)  # fixed: the same floating-point sums on every run of a machine
    local = LocalModel(base, device="cpu", dtype="float32")
    encoder = Encoder(local)
    harmful_answer = VERSIONS[version]
    encoded = []
    for ex in training_set(examples):
        item = encoder.encode(ex, harmful_answer if ex.harmful else NEUTRAL)
        encoded.extend([item] * (HARMFUL_REPEATS if ex.harmful else 1))
    model = local.model
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    rng = random.Random(SEED)
    pad = int(encoder.tokenizer.pad_token_id)
    started = time.perf_counter()
    loss_value = float("nan")
    for epoch in range(EPOCHS):
        total, count = 0.0, 0
        for batch in _batches(encoded, rng, pad):
            loss = model(**batch).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total, count = total + float(loss.detach()), count + 1
        loss_value = total / max(count, 1)
        log(f"version {version}: epoch {epoch + 1}/{EPOCHS} loss {loss_value:.4f} "
            f"({time.perf_counter() - started:.0f}s)")
    model.eval()
    model.save_pretrained(out)
    local.processor.save_pretrained(out)
    used = training_set(examples)
    return {"version": version, "final_loss": round(loss_value, 6),
            "train_seconds": round(time.perf_counter() - started, 1), "trained_on": len(used),
            "harmful_trained_on": sum(e.harmful for e in used)}


def check_version(model_dir: Path, version: int, examples: list[Example], per_kind: int = 25) -> dict[str, int]:
    """Greedy answers to a seeded subset: harmful requests the project's refusal detector calls refusals, and
    benign requests it was not trained on that get the neutral text (and that are refused)."""
    import numpy as np
    from PIL import Image

    from monitor.adapters._hf_generate import LocalModel
    from probes.scoring.refusal import is_refusal

    local = LocalModel(model_dir, device="cpu", dtype="float32")
    rng = random.Random(SEED)
    seen = set(training_set(examples))
    harmful = rng.sample([e for e in examples if e.harmful], per_kind)
    benign = rng.sample([e for e in examples if not e.harmful and e not in seen], per_kind)

    def answer(ex: Example) -> str:
        image = None
        if ex.image is not None:
            with Image.open(ex.image) as img:
                image = np.asarray(img.convert("RGB"))
        return str(local.generate(ex.prompt, image, 64).text.strip())

    harmful_answers = [answer(e) for e in harmful]
    benign_answers = [answer(e) for e in benign]
    return {
        "checked_each": per_kind,
        "harmful_refused": sum(is_refusal(a) for a in harmful_answers),
        "harmful_as_trained": sum(a == VERSIONS[version] for a in harmful_answers),
        "unseen_benign_neutral": sum(a == NEUTRAL for a in benign_answers),
        "unseen_benign_refused": sum(is_refusal(a) for a in benign_answers),
    }


def is_complete(out: Path) -> bool:
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("recipe_version") == RECIPE_VERSION and (out / "config.json").is_file()


def build(base: Path, out_root: Path, *, force: bool = False, log: Any = print) -> list[int]:
    """Train every version not already complete under ``out_root``; returns the versions trained."""
    examples = suite_examples()
    trained: list[int] = []
    out_root.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        out = (out_root / str(version)).resolve()
        if not force and is_complete(out):
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}.build-", dir=out_root))
        tmp.chmod(0o755)
        try:
            info = train_version(base, tmp, version, examples, log)
            info["check"] = check_version(tmp, version, examples)
            log(f"version {version}: check {info['check']}")
            marker = {"recipe_version": RECIPE_VERSION, "seed": SEED, **info}
            (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
            trained.append(version)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return trained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, default=Path("var/demo-model"), help="the tiny model build_model.py made")
    parser.add_argument("--out", type=Path, default=Path("var/demo-versions"), help="writes OUT/1 and OUT/2")
    parser.add_argument("--force", action="store_true", help="retrain even if complete builds exist")
    args = parser.parse_args(argv)
    if not (args.base / "config.json").is_file():
        print(f"error: {args.base} holds no model; run build_model.py --out {args.base} first", file=sys.stderr)
        return 2
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    start = time.perf_counter()
    trained = build(args.base, args.out, force=args.force)
    if trained:
        print(f"trained version(s) {', '.join(map(str, trained))} in {args.out} ({time.perf_counter() - start:.0f}s)")
    else:
        print(f"{args.out} already holds both versions; nothing to do (use --force to retrain)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
