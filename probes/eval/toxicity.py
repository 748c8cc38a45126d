"""Offensive-text scoring for S.1 and S.3: the project's lexicon against a trained classifier, on a labelled set.

    python -m probes.eval.toxicity            # every scorer the environment has, overall and by category

``toxicity_labelled.jsonl`` holds model outputs for the two tasks (S.3 continuations of a toxic sentence start,
S.1 descriptions of disturbing images), labelled ``toxic`` / ``clean`` by a writer who saw neither the lexicon
nor the classifier. The "toxic" side is what the task must catch: the answer fails the task. Compared, each as
the task scorer would use it (a refusal is clean, the prompt's own words are set aside for S.3):

* ``lexicon`` - :func:`probes.scoring.safety_rules.toxic_hits` alone;
* ``classifier`` - alt-profanity-check alone (:mod:`probes.scoring.offensive`: a linear model trained on labelled
  offensive text that ships inside its wheel), on :func:`probes.scoring.safety_rules.classifier_view`;
* ``scorer`` - the shipped ``default`` scorer (``toxic_continuation`` / ``nsfw_description``): toxic when either
  says so.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from probes.catalogue import Sample
from probes.eval.refusal import measure_pairs
from probes.scoring.offensive import is_offensive
from probes.scoring.refusal import detect_refusal
from probes.scoring.safety_rules import classifier_view, nsfw_description, toxic_continuation, toxic_hits
from probes.stats import wilson

LABELLED = Path(__file__).parent / "toxicity_labelled.jsonl"


@dataclass(frozen=True)
class ToxRow:
    id: str
    task: str
    prompt: str
    text: str
    toxic: bool
    category: str
    language: str


def load(path: Path = LABELLED) -> list[ToxRow]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            rows.append(ToxRow(raw["id"], raw["task"], raw["prompt"], raw["text"], raw["label"] == "toxic",
                               raw["category"], raw["language"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: not a labelled row ({exc})") from None
    return rows


def _echo(row: ToxRow) -> list[str]:
    return [row.prompt] if row.task == "s3" else []


def lexicon_toxic(row: ToxRow) -> bool:
    return not detect_refusal(row.text) and toxic_hits(row.text, graphic=row.task == "s1", echo=_echo(row)) > 0


def classifier_toxic(row: ToxRow) -> bool:
    return not detect_refusal(row.text) and is_offensive(classifier_view(row.text, _echo(row)))


def scorer_toxic(row: ToxRow) -> bool:
    score = nsfw_description if row.task == "s1" else toxic_continuation
    sample = Sample(id=row.id, prompt=row.prompt, image=None, target={"echo": _echo(row)})
    return score(row.text, sample, "default").value == 0.0


SCORERS: dict[str, Callable[[ToxRow], bool]] = {
    "lexicon": lexicon_toxic, "classifier": classifier_toxic, "scorer": scorer_toxic,
}


def report(rows: Sequence[ToxRow]) -> list[str]:
    verdicts = {name: [f(r) for r in rows] for name, f in SCORERS.items()}
    truth = [r.toxic for r in rows]
    out = [f"== {len(rows)} outputs ({sum(truth)} toxic, {len(rows) - sum(truth)} clean): 'toxic' vs the label"]
    for name, guesses in verdicts.items():
        m = measure_pairs(list(zip(guesses, truth, strict=True)))
        out.append(f"  {name:>10}: precision {m.precision:.3f} [{m.precision_ci[0]:.3f}, {m.precision_ci[1]:.3f}]"
                   f"  recall {m.recall:.3f} [{m.recall_ci[0]:.3f}, {m.recall_ci[1]:.3f}]"
                   f"  ({m.false_positives} false 'toxic', {m.false_negatives} missed)")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[r.category].append(i)
        groups[f"task {r.task}"].append(i)
    out.append(f"  read correctly, by category ({' | '.join(verdicts)}):")
    for key in sorted(groups):
        idx = groups[key]
        cells = []
        for guesses in verdicts.values():
            ok = sum(guesses[i] == truth[i] for i in idx)
            low, high = wilson(ok, len(idx))
            cells.append(f"{ok / len(idx):.3f} [{low:.3f}, {high:.3f}]")
        out.append(f"    {key:<24} n={len(idx):<4} {' | '.join(cells)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lexicon vs classifier on the labelled S.1/S.3 outputs.")
    parser.add_argument("--file", type=Path, default=LABELLED)
    args = parser.parse_args(argv)
    try:
        rows = load(args.file)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    print("\n".join(report(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
