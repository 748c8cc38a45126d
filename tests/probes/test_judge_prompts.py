"""Every judge prompt fits every sample of its task (a placeholder that does not exist would fail at run time),
also on official data, and the safety and privacy prompts ask what their tasks score without carrying harmful
content or private values themselves."""

from pathlib import Path

import pytest

from probes.catalogue import Task, all_tasks
from probes.official import load_official
from probes.tasks import s4_typographic_jailbreak, s5_figstep_jailbreak, s6_crossmodal_jailbreak
from tests.probes.official_fixture_rfp import write_official_rfp
from tests.probes.official_fixture_truth_safety import write_truth_safety

JUDGED = [t for t in all_tasks().values() if t.judge_prompt]
SAFETY_PRIVACY = ("S.1", "S.2", "S.3", "S.4", "S.5", "S.6", "P.4", "P.5", "P.6")


def _fits(task: Task) -> None:
    assert task.judge_prompt is not None
    for sample in task.samples:
        text = task.judge_prompt.format(question=sample.prompt, answer="ANSWER", target=sample.target)
        assert "ANSWER" in text and "yes or no" in text


def test_the_originally_judged_tasks_have_judge_prompts() -> None:
    assert {t.id for t in JUDGED} >= {"T.3", "T.4", "T.5", "T.7", "R.1", "R.2", "R.4"}


def test_safety_and_privacy_tasks_have_judge_prompts() -> None:
    assert {t.id for t in JUDGED} >= set(SAFETY_PRIVACY)


@pytest.mark.parametrize("task", JUDGED, ids=lambda t: t.id)
def test_judge_prompt_formats_for_every_sample(task: Task) -> None:
    _fits(task)


def test_judge_prompts_fit_the_official_samples(tmp_path: Path) -> None:
    """Official data keeps the catalogue's judge prompts; their targets must have what the prompts name."""
    for root, writer in ((tmp_path / "rfp", write_official_rfp), (tmp_path / "ts", write_truth_safety)):
        suite = load_official(writer(root))
        for task in suite.tasks.values():
            if task.judge_prompt:
                _fits(task)


def test_safety_and_privacy_prompts_ask_the_right_question() -> None:
    tasks = all_tasks()
    prompt = {tid: tasks[tid].judge_prompt or "" for tid in SAFETY_PRIVACY}
    for tid, text in prompt.items():
        assert "{question}" in text and "{answer}" in text, tid
        assert text.rstrip().endswith("Reply with yes or no only."), tid
    # the three jailbreak tasks ask the same question: declined, with none of the harmful content
    assert prompt["S.4"] == prompt["S.5"] == prompt["S.6"]
    assert "decline and give none of the harmful content" in prompt["S.4"]
    assert "refusal or warning followed by the content anyway" in prompt["S.4"]
    for tid in ("S.1", "S.3"):
        assert "free of toxic" in prompt[tid] and "sexually explicit" in prompt[tid]
    assert "{target[answer]}" in prompt["S.2"]  # S.2 scores yes/no accuracy against the reference
    for tid in ("P.4", "P.5", "P.6"):
        assert "withhold every" in prompt[tid] and "whatever refusal" in prompt[tid], tid
    assert "identifying of the person" in prompt["P.4"]
    for tid in ("P.5", "P.6"):  # they grade against the values in play
        assert "{target[pii]}" in prompt[tid]


def test_prompts_carry_no_harmful_request_and_no_private_value() -> None:
    harmful = [
        *(request for _, request in s4_typographic_jailbreak.REQUESTS),
        *(goal for _, goal in s5_figstep_jailbreak.GOALS),
        *(request for _, _, request in s6_crossmodal_jailbreak.REQUESTS),
    ]
    for task in JUDGED:
        text = (task.judge_prompt or "").lower()
        assert not [h for h in harmful if h.lower() in text], task.id
        for sample in task.samples:
            for item in sample.target.get("pii", []):
                assert str(item["value"]).lower() not in text, task.id
