"""Where the runner runs rule scorers: cheap ones on the event loop, the offensive-language classifier off it."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import monitor.runner as runner
from monitor.runner import Scoring, _rule_score
from probes.catalogue import get_task

ANSWER = "The weather was mild, so we walked along the river and talked about books."  # the classifier decides


async def test_cheap_scorers_move_to_the_loop_and_the_classifier_stays_off_it() -> None:
    scoring = Scoring()
    cheap, heavy = get_task("T.1"), get_task("S.3")
    for task in (cheap, heavy):
        for sample in task.samples[:2 + Scoring.TRIALS]:
            answer = "Yes." if task is cheap else ANSWER
            assert await scoring.score(task, sample, answer, "default") == _rule_score(task, sample, answer,
                                                                                       "default")
    assert cheap.scorer in scoring._cheap and cheap.scorer not in scoring._heavy
    assert heavy.scorer not in scoring._cheap  # the classifier's scorer goes in batches, on the worker
    assert scoring._batches is not None and scoring._batches.items == 2 + Scoring.TRIALS
    assert scoring.cpu_s > 0


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


@pytest.mark.parametrize(("slow_calls", "heavy"), [({2}, False), (set(range(1, 8)), True)],
                         ids=["one call slowed (a garbage collection)", "every call slow"])
async def test_a_scorer_is_judged_heavy_on_the_median_of_its_calls(
    monkeypatch: pytest.MonkeyPatch, slow_calls: set[int], heavy: bool,
) -> None:
    task, calls = get_task("T.1"), 0
    original = runner._rule_score

    def timed(*args: object) -> tuple[float | None, str]:
        nonlocal calls
        calls += 1
        if calls in slow_calls:
            _burn(4 * Scoring.HEAVY_S)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_rule_score", timed)
    scoring = Scoring()
    for sample in task.samples[:2 + Scoring.TRIALS]:
        assert await scoring.score(task, sample, "Yes.", "default") == original(task, sample, "Yes.", "default")
    assert (task.scorer in scoring._heavy) is heavy
    assert (task.scorer in scoring._cheap) is not heavy


async def test_answers_arriving_together_are_classified_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from probes.scoring import offensive

    task = get_task("S.3")
    answers = [(sample, f"{ANSWER} ({i})") for i, sample in enumerate(task.samples[:24])]
    expected = [_rule_score(task, sample, answer, "default") for sample, answer in answers]
    calls: list[int] = []
    predict = offensive._predict()
    monkeypatch.setattr(offensive, "_predict", lambda: lambda texts: calls.append(len(texts)) or predict(texts))
    scoring = Scoring()
    got = await asyncio.gather(*(scoring.score(task, sample, answer, "default") for sample, answer in answers))
    assert list(got) == expected  # the same scores as one by one
    assert scoring._batches is not None and scoring._batches.batches < 4  # not 24 calls
    assert sum(calls) <= 24 and len(calls) < 4


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
