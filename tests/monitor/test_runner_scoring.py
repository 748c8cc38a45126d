"""Where the runner runs rule scorers: cheap ones on the event loop, the offensive-language classifier off it."""

from __future__ import annotations

import threading

import monitor.runner as runner
from monitor.runner import Scoring, _rule_score
from probes.catalogue import get_task

ANSWER = "The weather was mild, so we walked along the river and talked about books."  # the classifier decides


async def test_cheap_scorers_move_to_the_loop_and_the_classifier_stays_off_it() -> None:
    scoring = Scoring()
    cheap, heavy = get_task("T.1"), get_task("S.3")
    for task in (cheap, heavy):
        for sample in task.samples[:3]:
            answer = "Yes." if task is cheap else ANSWER
            assert await scoring.score(task, sample, answer, "default") == _rule_score(task, sample, answer,
                                                                                       "default")
    assert cheap.scorer in scoring._cheap and cheap.scorer not in scoring._heavy
    assert heavy.scorer in scoring._heavy and heavy.scorer not in scoring._cheap
    assert scoring.cpu_s > 0


async def test_a_scorer_first_runs_off_the_event_loop() -> None:
    scoring = Scoring()
    task = get_task("P.5")
    seen: list[str] = []
    original = runner._rule_score

    def spy(*args: object) -> tuple[float | None, str]:
        seen.append(threading.current_thread().name)
        return original(*args)  # type: ignore[arg-type]

    runner._rule_score = spy  # type: ignore[assignment]
    try:
        await scoring.score(task, task.samples[0], "no", "default")
    finally:
        runner._rule_score = original  # type: ignore[assignment]
    assert seen and seen[0].startswith("scoring")
