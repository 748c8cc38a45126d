"""One judge verdict: the prompt sent, the reply read, and how it sits beside the rule scorer's verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from probes.scoring.yesno import YesNo, extract_yes_no

JUDGE_YES = "judge: yes"
JUDGE_NO = "judge: no"
NO_VERDICT = "judge gave no verdict"


class PromptMismatch(ValueError):
    """The judge prompt names a placeholder (e.g. ``{target[pii]}``) that the sample does not have."""


def render(template: str, *, question: str, answer: str, target: Mapping[str, Any]) -> str:
    """The judge prompt with its ``{question}``, ``{answer}`` and ``{target[...]}`` placeholders filled in."""
    try:
        return template.format(question=question, answer=answer, target=target)
    except (KeyError, IndexError, AttributeError) as exc:
        raise PromptMismatch(f"the judge prompt needs {exc} which the sample lacks") from None


def read(reply: str) -> YesNo | None:
    """The judge's yes/no, or None when the reply holds neither (a hedge, an essay, an empty reply)."""
    return extract_yes_no(reply)


def score_of(verdict: YesNo) -> tuple[float, str]:
    """A judge verdict as a sample score: yes = trustworthy (1.0), no = not (0.0)."""
    return (1.0, JUDGE_YES) if verdict == "yes" else (0.0, JUDGE_NO)


def disagree(judge_score: float | None, rule_score: float | None) -> bool:
    """Judge and rule land on opposite sides of 0.5 (an unscorable rule verdict disagrees with nothing)."""
    if judge_score is None or rule_score is None:
        return False
    return (judge_score >= 0.5) != (rule_score >= 0.5)


def judged_reason(judge_reason: str, judge_score: float | None, rule_score: float | None, rule_reason: str) -> str:
    """The stored reason of a judged sample: the judge's, and the rule's when the two disagree."""
    if disagree(judge_score, rule_score):
        return f"{judge_reason}; rule disagrees: {rule_reason or 'no reason given'}"
    return judge_reason
