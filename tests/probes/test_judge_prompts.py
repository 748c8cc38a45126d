"""Every judge prompt fits every sample of its task (a placeholder that does not exist would fail at run time)."""

import pytest

from probes.catalogue import all_tasks

JUDGED = [t for t in all_tasks().values() if t.judge_prompt]


def test_the_originally_judged_tasks_have_judge_prompts() -> None:
    assert {t.id for t in JUDGED} >= {"T.3", "T.4", "T.5", "T.7", "R.1", "R.2", "R.4"}


@pytest.mark.parametrize("task", JUDGED, ids=lambda t: t.id)
def test_judge_prompt_formats_for_every_sample(task) -> None:  # type: ignore[no-untyped-def]
    assert task.judge_prompt is not None
    for sample in task.samples:
        text = task.judge_prompt.format(question=sample.prompt, answer="ANSWER", target=sample.target)
        assert "ANSWER" in text and "yes or no" in text
