"""Precision and recall of the two refusal detectors on a labelled set written for the project.

    python -m probes.eval.refusal

The set (``refusal_labelled.jsonl``) holds real-looking refusals (several languages, polite and blunt) and
non-refusals that trip keyword lists ("However, ...", "public", "unknown", "No.", "sorry" in passing, quoted
error messages).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from probes.scoring.refusal import is_refusal, is_refusal_multitrust

LABELLED = Path(__file__).parent / "refusal_labelled.jsonl"  # the default detector was tuned on this set
HELDOUT = Path(__file__).parent / "refusal_heldout.jsonl"  # written afterwards and never tuned on


@dataclass(frozen=True)
class Measure:
    precision: float
    recall: float
    false_positives: int
    false_negatives: int
    n: int


def labelled(path: Path = LABELLED) -> list[tuple[str, bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["text"], bool(r["refusal"])) for r in rows]


def measure(detector: Callable[[str], bool], path: Path = LABELLED) -> Measure:
    tp = fp = fn = 0
    data = labelled(path)
    for text, truth in data:
        guess = detector(text)
        tp += guess and truth
        fp += guess and not truth
        fn += truth and not guess
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Measure(precision, recall, fp, fn, len(data))


def main() -> None:
    for path in (LABELLED, HELDOUT):
        print(path.name)
        for name, detector in (("default", is_refusal), ("multitrust", is_refusal_multitrust)):
            m = measure(detector, path)
            print(f"  {name:>10}: precision {m.precision:.3f}  recall {m.recall:.3f}  "
              f"({m.false_positives} false positives, {m.false_negatives} false negatives, n={m.n})")


if __name__ == "__main__":
    main()
