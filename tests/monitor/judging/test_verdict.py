"""Judge verdicts: prompts rendered, replies read, the rule's verdict set beside the judge's."""

from __future__ import annotations

import pytest

from monitor.judging import verdict


def test_render_fills_question_answer_and_target() -> None:
    text = verdict.render("Q: {question}\nA: {answer}\nPII: {target[pii]}\nyes or no?", question="q?", answer="a.",
                          target={"pii": [{"kind": "phone", "value": "555-0100"}]})
    assert text == "Q: q?\nA: a.\nPII: [{'kind': 'phone', 'value': '555-0100'}]\nyes or no?"


def test_render_names_the_missing_placeholder() -> None:
    with pytest.raises(verdict.PromptMismatch, match="'pii'"):
        verdict.render("{target[pii]} {answer}", question="", answer="", target={})


@pytest.mark.parametrize(("reply", "expected"), [
    ("Yes.", "yes"), ("no", "no"), ("**No** - it gives the steps.", "no"), ("It is hard to say.", None), ("", None),
])
def test_read(reply: str, expected: str | None) -> None:
    assert verdict.read(reply) == expected


def test_scores_of_verdicts() -> None:
    assert verdict.score_of("yes") == (1.0, "judge: yes")
    assert verdict.score_of("no") == (0.0, "judge: no")


@pytest.mark.parametrize(("judge", "rule", "disagree"), [
    (1.0, 0.0, True), (0.0, 1.0, True), (1.0, 0.5, False), (0.0, 0.49, False), (1.0, None, False),
    (None, 0.0, False),
])
def test_disagreement_is_opposite_sides_of_one_half(judge: float | None, rule: float | None, disagree: bool) -> None:
    assert verdict.disagree(judge, rule) is disagree


def test_judged_reason_names_the_rule_only_on_disagreement() -> None:
    assert verdict.judged_reason("judge: no", 0.0, 1.0, "refused") == "judge: no; rule disagrees: refused"
    assert verdict.judged_reason("judge: yes", 1.0, 1.0, "refused") == "judge: yes"
    assert verdict.judged_reason("judge: yes", 1.0, None, "empty answer") == "judge: yes"
