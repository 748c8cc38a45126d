"""The labelled answer corpus: model answers written by hand, in independent passes, to measure the scorers.

Each pass is one file ``probes/eval/corpus/pass_<name>.jsonl``, written by a different writer with a separate
brief and style (docs/refusal-detector.md lists them and the rounds of the protocol). A row is one answer:

    {"id": "a-001", "pass": "a", "kind": "refusal", "text": "...", "label": "refused",
     "category": "vision_privacy_decline", "language": "en", "task_family": "vision_privacy",
     "request": "who is the man in the photo", "pii": [{"kind": "phone", "value": "(212) 555-0147"}]}

``kind`` "refusal": did the answer decline (``refused``), give what was asked (``complied``), or decline the
harmful core but give part of it (``partial``)? ``kind`` "yesno": does it commit to ``yes`` or ``no``, or
neither (``none``)? ``pii`` lists the private values of the conversation, for rows where the answer may leak one.

Rows are split by a fixed hash of their id into **tune** (60%) and **test** (40%): rules may be tuned on the
tune split only; the test split is read only to report. Passes listed in :data:`FRESH_PASSES` were written after
the detector was frozen, by a writer who had seen neither the detector nor the corpus: they are reported apart
and never split. Passes in :data:`TUNE_ONLY_PASSES` were fresh for an earlier version and were read row by row
once reported: they are tuning material only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).parent / "corpus"

KINDS = {"refusal": ("refused", "complied", "partial"), "yesno": ("yes", "no", "none")}
CATEGORIES = {
    "refusal": (
        "plain_refusal", "vision_privacy_decline", "short_decline", "reason_only_apology", "hedged_decline",
        "non_english_decline", "safe_completion_redirect", "disclaimer_then_compliance",
        "partial_refusal_then_leak", "fiction_or_document", "cant_help_but", "plain_compliance", "benign_answer",
        "non_english_compliance",
    ),
    "yesno": (
        "plain_yes", "plain_no", "statement_answer", "no_problem_acceptance", "refusal_not_answer",
        "hedge_not_answer", "non_english_yesno",
    ),
}
TASK_FAMILIES = ("jailbreak", "pii_query", "vision_privacy", "toxicity", "yesno_detection", "benign")
PII_KINDS = ("phone", "email", "address", "ssn", "credit_card", "name", "date", "account", "passport")
#: Each detector version was frozen, then measured on passes written for it by writers who had seen neither the
#: detector nor the corpus; a fresh pass is used once. Its figures are kept in docs/refusal-detector.md.
ROUNDS: tuple[tuple[str, tuple[str, ...]], ...] = (("v1", ("e",)), ("v2", ("f", "g")), ("v3", ("h", "i")))
#: the passes fresh for the current detector (reported apart, never tuned on)
FRESH_PASSES: tuple[str, ...] = ROUNDS[-1][1]
#: earlier fresh passes that were read row by row after being reported: tuning material only, never "test"
TUNE_ONLY_PASSES: tuple[str, ...] = ("f", "g")
TUNE_SHARE = 60  # percent


class CorpusError(ValueError):
    """Every problem found in the corpus files, one ``FILE:LINE: message`` line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Row:
    id: str
    pass_: str
    kind: str
    text: str
    label: str
    category: str
    language: str
    task_family: str
    request: str = ""
    pii: tuple[tuple[str, str], ...] = field(default=())

    @property
    def split(self) -> str:
        """``fresh`` for a fresh pass, ``tune`` for a spent one, else ``tune`` or ``test`` by a fixed hash of the id."""
        if self.pass_ in FRESH_PASSES:
            return "fresh"
        if self.pass_ in TUNE_ONLY_PASSES:
            return "tune"
        return split_of(self.id)

    @property
    def pii_items(self) -> list[dict[str, str]]:
        return [{"kind": k, "value": v} for k, v in self.pii]


def split_of(row_id: str) -> str:
    bucket = int(hashlib.sha256(row_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "tune" if bucket < TUNE_SHARE else "test"


def _problems(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return ["not a JSON object"]
    out: list[str] = []
    required = ("id", "pass", "kind", "text", "label", "category", "language", "task_family")
    for key in required:
        if not isinstance(raw.get(key), str) or not raw.get(key):
            out.append(f"{key}: missing or not a non-empty string")
    unknown = set(raw) - {*required, "request", "pii"}
    if unknown:
        out.append(f"unknown field(s): {', '.join(sorted(unknown))}")
    if out:
        return out
    kind = raw["kind"]
    if kind not in KINDS:
        return [f"kind: {kind!r} is not one of {', '.join(KINDS)}"]
    if raw["label"] not in KINDS[kind]:
        out.append(f"label: {raw['label']!r} is not one of {', '.join(KINDS[kind])} (kind {kind})")
    if raw["category"] not in CATEGORIES[kind]:
        out.append(f"category: {raw['category']!r} is not a {kind} category")
    if raw["task_family"] not in TASK_FAMILIES:
        out.append(f"task_family: {raw['task_family']!r} is not one of {', '.join(TASK_FAMILIES)}")
    if not raw["id"].startswith(f"{raw['pass']}-"):
        out.append(f"id: {raw['id']!r} does not start with the pass name {raw['pass']!r}")
    pii = raw.get("pii", [])
    if not isinstance(pii, list) or any(
        not isinstance(p, dict) or p.get("kind") not in PII_KINDS or not isinstance(p.get("value"), str)
        for p in pii
    ):
        out.append(f"pii: a list of {{kind, value}} with kind one of {', '.join(PII_KINDS)}")
    return out


def load(directory: Path = CORPUS_DIR, passes: Iterable[str] | None = None) -> list[Row]:
    """Every row of every pass file (or of ``passes``), validated; :class:`CorpusError` lists what is wrong."""
    wanted = set(passes) if passes is not None else None
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("pass_*.jsonl")):
        name = path.stem.removeprefix("pass_")
        if wanted is not None and name not in wanted:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                raw = json.loads(line)
            except ValueError as exc:
                errors.append(f"{where}: not JSON: {exc}")
                continue
            problems = _problems(raw)
            if not problems and raw["pass"] != name:
                problems = [f"pass: {raw['pass']!r} in the file of pass {name!r}"]
            if not problems and raw["id"] in seen:
                problems = [f"id: {raw['id']!r} already used at {seen[raw['id']]}"]
            if problems:
                errors.extend(f"{where}: {p}" for p in problems)
                continue
            seen[raw["id"]] = where
            rows.append(Row(
                id=raw["id"], pass_=raw["pass"], kind=raw["kind"], text=raw["text"], label=raw["label"],
                category=raw["category"], language=raw["language"], task_family=raw["task_family"],
                request=raw.get("request", ""), pii=tuple((p["kind"], p["value"]) for p in raw.get("pii", [])),
            ))
    if errors:
        raise CorpusError(errors)
    return rows
