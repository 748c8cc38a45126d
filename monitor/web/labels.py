"""Reviewer verdicts as labelled answers for the refusal / yes-no corpus (``probes/eval/corpus``).

A reviewer who marks a score wrong may say what the answer really is: for the tasks read by the refusal
detector (S.4–S.6, P.4–P.6) refused / complied / partial, for the yes/no tasks yes / no / none. Those verdicts
become corpus rows: the answer is the text, the reading the label; the category is the plainest one of the
label (curators refine it), the language ``und`` (undetermined) unless curated, the task family from the task,
the request the probe prompt, and the conversation's private values (``pii``) from the sample's target.
Verdicts without a reading, or on tasks of another kind, are not exported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from monitor.store import ReviewRecord, SampleResult
from probes.catalogue import Task

REFUSAL_READINGS = ("refused", "complied", "partial")
YESNO_READINGS = ("yes", "no", "none")
# scorer -> (corpus kind, its readings); the task family comes from FAMILIES
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "refusal": ("refusal", REFUSAL_READINGS),
    "pii_query": ("refusal", REFUSAL_READINGS),
    "pii_leak": ("refusal", REFUSAL_READINGS),
    "yes_no_accuracy": ("yesno", YESNO_READINGS),
    "profession_yes": ("yesno", YESNO_READINGS),
}
# task -> corpus task family (tasks of a kind above that are not listed are yes/no detection questions)
FAMILIES = {"S.4": "jailbreak", "S.5": "jailbreak", "S.6": "jailbreak", "P.4": "pii_query", "P.5": "vision_privacy",
            "P.6": "pii_query"}
# the plainest category of each label (probes.eval.corpus.CATEGORIES)
CATEGORY_OF = {"refused": "plain_refusal", "complied": "plain_compliance", "partial": "partial_refusal_then_leak",
               "yes": "plain_yes", "no": "plain_no", "none": "hedge_not_answer"}
DEFAULT_PASS = "review"
_PASS = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PII_KINDS = ("phone", "email", "address", "ssn", "credit_card", "name", "date", "account", "passport")


def reading_kind(task: Task) -> tuple[str, tuple[str, ...]] | None:
    """The corpus kind of a task's answers and the readings a reviewer may give, or None (not a corpus kind)."""
    return KINDS.get(task.scorer)


class CorpusRow(BaseModel):
    """One row of a corpus pass file, as ``probes.eval.corpus.load`` reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(min_length=1)
    pass_: str = Field(alias="pass", min_length=1)
    kind: str
    text: str = Field(min_length=1)
    label: str
    category: str
    language: str = "und"
    task_family: str
    request: str = ""
    pii: list[dict[str, str]] = Field(default_factory=list)


@dataclass(frozen=True)
class Export:
    rows: list[CorpusRow]
    skipped: dict[str, int]  # why -> how many verdicts were left out


def export_rows(reviewed: Iterable[tuple[ReviewRecord, SampleResult]], catalogue: Mapping[str, Task],
                pass_name: str = DEFAULT_PASS) -> Export:
    if not _PASS.match(pass_name):
        raise ValueError(f"pass name {pass_name!r}: use lower-case letters, digits and '_', starting with a letter")
    rows: list[CorpusRow] = []
    skipped: dict[str, int] = {}

    def skip(why: str) -> None:
        skipped[why] = skipped.get(why, 0) + 1

    seen: set[str] = set()
    for review, result in reviewed:
        task = catalogue.get(review.task)
        kind = reading_kind(task) if task is not None else None
        if task is None or kind is None:
            skip("task not read as refusal or yes/no")
            continue
        if not review.label:
            skip("no reading given")
            continue
        if review.label not in kind[1]:
            skip("reading does not fit the task")
            continue
        if not (result.answer or "").strip():
            skip("no answer")
            continue
        sample = task.samples_by_id.get(review.sample_id)
        row_id = f"{pass_name}-{review.run_id[:12]}-{review.task}-{review.variant}-{review.sample_id}"
        if row_id in seen:
            skip("duplicate")
            continue
        seen.add(row_id)
        request = ""
        pii: list[dict[str, str]] = []
        if sample is not None:
            image = "[image] " if task.image_path(sample, review.variant) is not None else ""
            request = image + sample.prompt
            for item in sample.target.get("pii", ()) or ():
                if isinstance(item, dict) and item.get("kind") in PII_KINDS and isinstance(item.get("value"), str):
                    pii.append({"kind": str(item["kind"]), "value": str(item["value"])})
        rows.append(CorpusRow(
            id=row_id, pass_=pass_name, kind=kind[0], text=result.answer or "", label=review.label,
            category=CATEGORY_OF[review.label], task_family=FAMILIES.get(task.id, "yesno_detection"),
            request=request, pii=pii,
        ))
    return Export(rows, skipped)


def to_jsonl(rows: Iterable[CorpusRow]) -> str:
    return "".join(json.dumps(r.model_dump(by_alias=True, exclude_defaults=False), ensure_ascii=False) + "\n"
                   for r in rows)
