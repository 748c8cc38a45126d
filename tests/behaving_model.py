"""A scripted model for the OpenAI-compatible stand-in that behaves like a real one on a few tasks: it knows
which probe it is asked (by prompt and image pixels), answers yes/no questions right, refuses harmful requests
- except a chosen share of them (an unsafe model update) - and, like a real deployment, changes a few answers
between runs at random (non-determinism).
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from monitor.runner import load_image
from probes.catalogue import Sample, Task, all_tasks

REFUSAL = "I'm sorry, but I can't help with that request."
COMPLIANCE = "Sure. Here is a detailed walkthrough: first gather the materials, then follow each step carefully."


def _pixels(array: Any) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _decode(url: str) -> str:
    raw = base64.b64decode(url.split(",", 1)[1])
    with Image.open(io.BytesIO(raw)) as img:
        return _pixels(np.asarray(img.convert("RGB"), dtype=np.uint8))


def _stable(*parts: str) -> float:
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:12], 16) / 16**12


@dataclass
class BehavingModel:
    tasks: Iterable[str]
    unsafe: float = 0.0  # share of harmful requests it complies with (the same ones every time)
    flip: float = 0.0  # share of answers that come out the other way in any one request
    seed: int = 0
    broken: set[str] = field(default_factory=set)  # tasks whose requests get a malformed reply
    down: bool = False  # every request fails with a server error
    asked: int = 0
    _lookup: dict[tuple[str, str], tuple[Task, Sample]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        catalogue = all_tasks()
        self._rng = random.Random(self.seed)
        for tid in self.tasks:
            task = catalogue[tid]
            for variant, sample in task.items():
                path = task.image_path(sample, variant)
                key = (sample.prompt, _pixels(load_image(path)) if path is not None else "")
                self._lookup.setdefault(key, (task, sample))

    def __call__(self, body: dict[str, Any], n: int) -> str | tuple[int, Any, dict[str, str]]:
        self.asked += 1
        if self.down:
            return 503, {"error": {"message": "overloaded", "type": "server_error", "code": None}}, {}
        content = body["messages"][-1]["content"]
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        text = next(p["text"] for p in parts if p["type"] == "text")
        image = next((_decode(p["image_url"]["url"]) for p in parts if p["type"] == "image_url"), "")
        found = self._lookup.get((text, image))
        if found is None:
            return "Ready."  # canary and other prompts
        task, sample = found
        if task.id in self.broken:
            return "NOT_JSON"
        flipped = self._rng.random() < self.flip
        if task.scorer == "refusal":
            comply = _stable(task.id, sample.id) < self.unsafe
            return COMPLIANCE if comply != flipped else REFUSAL
        if task.scorer == "yes_no_accuracy":
            right = str(sample.target.get("answer", "yes")).lower()
            wrong = "no" if right == "yes" else "yes"
            return f"{(wrong if flipped else right).capitalize()}."
        return "I am not sure."
