"""How well the refusal and yes/no scorers read answers, on the labelled corpus (probes/eval/corpus.py).

    python -m probes.eval.refusal                 # every split: tune, test (and fresh passes)
    python -m probes.eval.refusal --split tune    # the only split to look at while changing rules
    python -m probes.eval.refusal --by category   # or: language, pass, task_family

Refusal kind: a detector says "declined" or not; the truth is ``label == "refused"`` (``complied`` and
``partial`` are not safe). Precision and recall of "declined" with 95% Wilson intervals, for the ``default``
detector and the original keyword list (``multitrust``), then the share read correctly per group. Yes/no kind:
the share of answers whose extracted yes / no / unscorable matches the label.

The two small files written with the first detector (``refusal_labelled.jsonl``: it was tuned on it;
``refusal_heldout.jsonl``) are reported too, as they were.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from probes.catalogue import Sample
from probes.eval.corpus import Row, load
from probes.scoring.refusal import is_refusal, is_refusal_multitrust, read_refusal
from probes.scoring.rules import pii_leak
from probes.scoring.yesno import extract_yes_no, extract_yes_no_multitrust
from probes.stats import wilson

LABELLED = Path(__file__).parent / "refusal_labelled.jsonl"  # the first detector was tuned on this set
HELDOUT = Path(__file__).parent / "refusal_heldout.jsonl"  # written after it, never tuned on

DETECTORS: dict[str, Callable[[str], bool]] = {"default": is_refusal, "multitrust": is_refusal_multitrust}
YESNO: dict[str, Callable[[str], str | None]] = {
    "default": extract_yes_no,
    "multitrust": extract_yes_no_multitrust,
}


@dataclass(frozen=True)
class Measure:
    precision: float
    recall: float
    false_positives: int
    false_negatives: int
    n: int
    precision_ci: tuple[float, float] = (0.0, 1.0)
    recall_ci: tuple[float, float] = (0.0, 1.0)


def measure_pairs(pairs: Sequence[tuple[bool, bool]]) -> Measure:
    """Precision and recall of (guess, truth) pairs, with Wilson intervals (an empty side counts as 1.0)."""
    tp = sum(g and t for g, t in pairs)
    fp = sum(g and not t for g, t in pairs)
    fn = sum(t and not g for g, t in pairs)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Measure(precision, recall, fp, fn, len(pairs),
                   wilson(tp, tp + fp) if tp + fp else (0.0, 1.0), wilson(tp, tp + fn) if tp + fn else (0.0, 1.0))


def labelled(path: Path = LABELLED) -> list[tuple[str, bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["text"], bool(r["refusal"])) for r in rows]


def measure(detector: Callable[[str], bool], path: Path = LABELLED) -> Measure:
    return measure_pairs([(detector(text), truth) for text, truth in labelled(path)])


#: each detector as the scorers call it: the default one also sees the conversation's private values and request
ROW_DETECTORS: dict[str, Callable[[Row], bool]] = {
    "default": lambda r: read_refusal(r.text, r.pii_items, r.request).outcome == "refused",
    "multitrust": lambda r: is_refusal_multitrust(r.text),
}


def refusal_pairs(rows: Sequence[Row], detector: Callable[[Row], bool]) -> list[tuple[bool, bool]]:
    return [(detector(r), r.label == "refused") for r in rows if r.kind == "refusal"]


OUTCOMES = ("refused", "partial", "complied")


def outcome_table(rows: Sequence[Row]) -> list[str]:
    """The default detector's three outcomes against the three labels (rows: label, columns: reading)."""
    counts: Counter[tuple[str, str]] = Counter(
        (r.label, read_refusal(r.text, r.pii_items, r.request).outcome) for r in rows if r.kind == "refusal")
    header = "".join(f"{o:>10}" for o in OUTCOMES)
    out = [f"  three outcomes (default; rows: label, columns: reading):     {header}"]
    for label in OUTCOMES:
        out.append(f"    {label:>10}" + "".join(f"{counts[(label, o)]:>10}" for o in OUTCOMES))
    return out


def leak_rows(rows: Sequence[Row]) -> list[Row]:
    """Answers that decline in words yet hold a private value of the conversation (whole or in part)."""
    return [r for r in rows if r.kind == "refusal" and r.pii and r.label != "refused"
            and r.category in ("partial_refusal_then_leak", "disclaimer_then_compliance")]


def scored_as_leak(row: Row) -> bool:
    """What P.5/P.6's scorer (``pii_leak``, default profile) makes of the answer: 0 = leaked."""
    sample = Sample(id=row.id, prompt=row.request, target={"pii": row.pii_items})
    return pii_leak(row.text, sample, "default").value == 0.0


def yesno_correct(row: Row, extract: Callable[[str], str | None]) -> bool:
    if extract is extract_yes_no:  # the default reading is given the question, as the scorers give it
        return (extract_yes_no(row.text, row.request or None) or "none") == row.label
    return (extract(row.text) or "none") == row.label


def _ci(successes: int, n: int) -> str:
    low, high = wilson(successes, n)
    return f"{successes / n:.3f} [{low:.3f}, {high:.3f}]"


def _group(row: Row, by: str) -> str:
    return {"category": row.category, "language": row.language, "pass": row.pass_,
            "task_family": row.task_family}[by]


def report(rows: Sequence[Row], split: str, by: str) -> list[str]:
    out = [f"== {split} split: {sum(r.kind == 'refusal' for r in rows)} refusal rows, "
           f"{sum(r.kind == 'yesno' for r in rows)} yes/no rows"]
    refusal_rows = [r for r in rows if r.kind == "refusal"]
    if refusal_rows:
        labels = Counter(r.label for r in refusal_rows)
        out.append(f"refusal ({', '.join(f'{k} {v}' for k, v in sorted(labels.items()))}): 'declined' vs refused")
        for name, detector in ROW_DETECTORS.items():
            m = measure_pairs(refusal_pairs(refusal_rows, detector))
            out.append(f"  {name:>10}: precision {m.precision:.3f} [{m.precision_ci[0]:.3f}, {m.precision_ci[1]:.3f}]"
                       f"  recall {m.recall:.3f} [{m.recall_ci[0]:.3f}, {m.recall_ci[1]:.3f}]"
                       f"  ({m.false_positives} false 'declined', {m.false_negatives} missed, n={m.n})")
        out.extend(outcome_table(refusal_rows))
        leaks = leak_rows(refusal_rows)
        if leaks:
            out.append(f"  refusal words, then a private value (P.5/P.6 scorer): scored as a leak "
                       f"{_ci(sum(scored_as_leak(r) for r in leaks), len(leaks))} (n={len(leaks)})")
        groups: dict[str, list[Row]] = defaultdict(list)
        for r in refusal_rows:
            groups[_group(r, by)].append(r)
        out.append(f"  read correctly, by {by} (default | multitrust):")
        for key in sorted(groups):
            members = groups[key]
            cells = [_ci(sum(d(r) == (r.label == "refused") for r in members), len(members))
                     for d in ROW_DETECTORS.values()]
            out.append(f"    {key:<28} n={len(members):<4} {cells[0]} | {cells[1]}")
    yesno_rows = [r for r in rows if r.kind == "yesno"]
    if yesno_rows:
        out.append("yes/no: extracted yes / no / unscorable matches the label (default | multitrust)")
        overall = [_ci(sum(yesno_correct(r, e) for r in yesno_rows), len(yesno_rows)) for e in YESNO.values()]
        out.append(f"  {'all':<30} n={len(yesno_rows):<4} {overall[0]} | {overall[1]}")
        groups = defaultdict(list)
        for r in yesno_rows:
            groups[_group(r, by)].append(r)
        for key in sorted(groups):
            members = groups[key]
            cells = [_ci(sum(yesno_correct(r, e) for r in members), len(members)) for e in YESNO.values()]
            out.append(f"    {key:<28} n={len(members):<4} {cells[0]} | {cells[1]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Accuracy of the refusal and yes/no scorers on the corpus.")
    parser.add_argument("--split", choices=("tune", "test", "fresh", "all"), default="all")
    parser.add_argument("--by", choices=("category", "language", "pass", "task_family"), default="category")
    args = parser.parse_args(argv)
    rows = load()
    splits = ("tune", "test", "fresh") if args.split == "all" else (args.split,)
    for split in splits:
        chosen = [r for r in rows if r.split == split]
        if chosen:
            print("\n".join(report(chosen, split, args.by)))
    if args.split == "all":
        for path in (LABELLED, HELDOUT):
            print(f"== {path.name} (first detector's files)")
            for name, detector in DETECTORS.items():
                m = measure(detector, path)
                print(f"  {name:>10}: precision {m.precision:.3f}  recall {m.recall:.3f}  "
                      f"({m.false_positives} false positives, {m.false_negatives} false negatives, n={m.n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
