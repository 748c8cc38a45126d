"""The runner against a scripted in-process endpoint and a real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor import events
from monitor.adapters import AdapterError, ErrorKind, ProbeRequest
from monitor.config import RetryConfig, TritonEndpoint
from monitor.runner import Runner, WorkItem, backoff_delay
from monitor.store import RunStatus, Store
from probes.catalogue import Dimension, Modality, Sample, Task
from probes.scorers import Score, get_scorer, scorer
from tests.scripted import ScriptedAdapter

try:
    get_scorer("test_exact_yes")
except KeyError:

    @scorer("test_exact_yes")
    def _exact_yes(answer: str, sample: Sample, profile: str) -> Score:
        return Score(1.0 if answer == "yes" else 0.0, "match" if answer == "yes" else "mismatch")


TASK = Task(id="T.1", name="test", dimension=Dimension.TRUTHFULNESS, subdimension="inherent_deficiency",
            modality=Modality.MM, scorer="test_exact_yes", summary="", original_metric="", fidelity="")


def _endpoint(**kw: object) -> TritonEndpoint:
    base: dict[str, object] = {"name": "scripted", "kind": "triton", "url": "127.0.0.1:1", "model": "m",
                               "concurrency": 3, "retries": RetryConfig(max_attempts=3, backoff_initial=0.01,
                                                                        backoff_max=0.02)}
    base.update(kw)
    return TritonEndpoint.model_validate(base)


def _items(n: int) -> list[WorkItem]:
    return [WorkItem(TASK, "default", Sample(id=f"s{i}", prompt=f"q{i}")) for i in range(n)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path}/runs.db")
    yield s
    s.close()


async def _execute(store: Store, adapter: ScriptedAdapter, n: int, **ep: object) -> tuple[str, list[events.Event]]:
    bus = events.EventBus()
    seen: list[events.Event] = []
    bus.subscribe(seen.append)
    run = store.create_run("scripted", "api", ["T.1"], "v", "default")
    await Runner(store, bus).execute(run.id, "api", _endpoint(**ep), adapter, _items(n), profile="default",
                                     min_scored=10, identity=await adapter.identity())
    return run.id, seen


async def test_answers_are_scored_stored_and_aggregated(store: Store) -> None:
    adapter = ScriptedAdapter(lambda rid, n: "yes" if int(rid.split("/s")[1]) % 4 else "no")
    run_id, seen = await _execute(store, adapter, 40)
    run = store.get_run(run_id)
    assert run is not None and run.status is RunStatus.SUCCEEDED
    assert (run.total_items, run.done_items, run.error_items) == (40, 40, 0)
    assert run.model == "scripted-model" and run.model_version == "7"
    results = store.results(run_id)
    assert len(results) == 40 and all(r.error_kind is None and r.answer in ("yes", "no") for r in results)
    (score,) = store.task_scores(run_id)
    assert score.score == pytest.approx(0.75) and score.n_scored == 40
    assert score.ci_low is not None and score.ci_low < 0.75 < (score.ci_high or 0)
    kinds = [e.kind for e in seen]
    assert kinds[0] == events.RUN_STARTED and kinds[-1] == events.RUN_FINISHED
    assert kinds.count(events.SAMPLE_DONE) == 40
    assert adapter.max_in_flight <= 3


async def test_retryable_errors_are_retried_then_answered(store: Store) -> None:
    def script(rid: str, n: int) -> str | AdapterError:
        return AdapterError(ErrorKind.SERVER, "503") if n < 3 else "yes"

    adapter = ScriptedAdapter(script)
    run_id, _ = await _execute(store, adapter, 12)
    results = store.results(run_id)
    assert all(r.attempts == 3 and r.answer == "yes" and r.score == 1.0 for r in results)
    assert store.task_scores(run_id)[0].score == 1.0


async def test_non_retryable_error_is_stored_not_scored(store: Store) -> None:
    adapter = ScriptedAdapter(lambda rid, n: AdapterError(ErrorKind.MALFORMED, "no TEXT output"))
    run_id, seen = await _execute(store, adapter, 12)
    assert set(adapter.calls.values()) == {1}
    results = store.results(run_id)
    assert all(r.error_kind == "malformed_reply" and r.score is None and r.answer is None for r in results)
    (score,) = store.task_scores(run_id)
    assert score.score is None and score.n_errors == 12 and score.n_scored == 0
    assert {e.outcome for e in seen if e.kind == events.SAMPLE_DONE} == {"malformed_reply"}


async def test_endpoint_down_gives_errors_and_no_score(store: Store) -> None:
    adapter = ScriptedAdapter(lambda rid, n: AdapterError(ErrorKind.CONNECTION, "refused"))
    run_id, _ = await _execute(store, adapter, 15)
    assert set(adapter.calls.values()) == {3}  # retried up to max_attempts
    run = store.get_run(run_id)
    assert run is not None and run.status is RunStatus.SUCCEEDED and run.error_items == 15
    assert store.task_scores(run_id)[0].score is None


async def test_cancellation_keeps_finished_samples(store: Store) -> None:
    adapter = ScriptedAdapter(lambda rid, n: "yes", delay=0.05)
    bus = events.EventBus()
    run = store.create_run("scripted", "api", ["T.1"], "v", "default")
    job = asyncio.ensure_future(Runner(store, bus).execute(
        run.id, "api", _endpoint(concurrency=2), adapter, _items(100), profile="default", min_scored=10,
        identity=None))
    await asyncio.sleep(0.3)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    record = store.get_run(run.id)
    assert record is not None and record.status is RunStatus.CANCELLED
    kept = store.results(run.id)
    assert 0 < len(kept) < 100 and all(r.answer == "yes" for r in kept)


def test_backoff_is_capped_exponential_with_jitter() -> None:
    for attempt, base in ((1, 0.5), (2, 1.0), (3, 2.0), (10, 10.0)):
        for _ in range(50):
            assert 0.5 * base <= backoff_delay(attempt, 0.5, 10.0) < 1.5 * base
    assert backoff_delay(1, 0.5, 10.0, retry_after=4.0) >= 4.0


async def test_judge_endpoint_grades_judged_tasks_and_is_recorded(store: Store) -> None:
    from dataclasses import replace

    from monitor.runner import Judge

    judged_task = replace(TASK, judge_prompt="Q: {question}\nA: {answer}\nIs the answer correct? yes or no")
    endpoint_answers = ScriptedAdapter(lambda rid, n: "yes" if rid.endswith(("0", "2", "4", "6", "8")) else "no")

    def judge_script(rid: str, n: int) -> str | AdapterError:
        if rid.endswith("s9"):
            return AdapterError(ErrorKind.MALFORMED, "judge broke")  # falls back to the rule scorer
        return "Yes." if rid.endswith(("0", "2", "4", "6", "8")) else "No, it is not."

    judge = Judge(_endpoint(name="judge"), ScriptedAdapter(judge_script))
    run = store.create_run("scripted", "api", ["T.1"], "v", "default")
    items = [WorkItem(judged_task, "default", Sample(id=f"s{i}", prompt=f"q{i}")) for i in range(10)]
    await Runner(store, events.EventBus()).execute(run.id, "api", _endpoint(), endpoint_answers, items,
                                                   profile="default", min_scored=5, identity=None, judge=judge)
    results = {r.sample_id: r for r in store.results(run.id)}
    assert results["s0"].scorer == "judge:judge" and results["s0"].score == 1.0 and results["s0"].reason == "judge: yes"
    assert results["s1"].scorer == "judge:judge" and results["s1"].score == 0.0
    assert results["s9"].scorer == "test_exact_yes" and results["s9"].score == 0.0  # the rule scorer's verdict
    assert results["s9"].rule_score is None and results["s9"].rule_reason is None  # nothing beside it
    assert (results["s0"].rule_score, results["s0"].rule_reason) == (1.0, "match")  # kept beside the judge's
    assert (results["s1"].rule_score, results["s1"].rule_reason) == (0.0, "mismatch")
    assert store.task_scores(run.id)[0].score == pytest.approx(0.5)


async def test_judged_s4_sample_stores_both_verdicts_and_shows_disagreement(tmp_path: Path) -> None:
    """S.4 answered by one OpenAI-format server and judged by another (real adapters, real SQLite store): the
    judge's verdict is the score, the refusal rule's is stored beside it, a disagreement is in the reason, and a
    judge that gives no verdict or fails leaves the rule's verdict in charge."""
    from monitor.adapters import create_adapter
    from monitor.config import OpenAIEndpoint
    from monitor.runner import Judge
    from probes.catalogue import get_task
    from tests.openai_server import error, fake_openai

    task = get_task("S.4")
    samples = task.samples[:4]
    complied = "Sure, here is the plan you asked for: first, gather the materials."
    refused = "I'm sorry, but I can't help with that."
    answers = {samples[0].prompt: complied, samples[1].prompt: refused, samples[2].prompt: refused + " Truly.",
               samples[3].prompt: refused + " Never."}

    def model(body: dict[str, object], n: int) -> str:
        return answers[body["messages"][0]["content"][0]["text"]]  # type: ignore[index]

    def judge_script(body: dict[str, object], n: int) -> object:
        prompt = body["messages"][0]["content"][0]["text"]  # type: ignore[index]
        assert task.judge_prompt is not None and prompt.startswith(task.judge_prompt.split("{")[0])
        graded = prompt.split("Answer to grade: ", 1)[1].rsplit("\n", 1)[0]
        if graded.endswith("Truly."):
            return "That is hard to say."  # no verdict
        if graded.endswith("Never."):
            return error(500, "judge overloaded")  # the judge fails
        return "Yes."  # wrong for the complied answer: the refusal rule disagrees

    def endpoint(name: str, url: str) -> OpenAIEndpoint:
        return OpenAIEndpoint.model_validate({"name": name, "kind": "openai", "base_url": url, "model": "vision-test-1",
                                              "retries": {"max_attempts": 1}})

    store = Store(f"sqlite:///{tmp_path}/judged.db")
    async with fake_openai(model) as model_server, fake_openai(judge_script) as judge_server:
        ep, judge_ep = endpoint("model", model_server.base_url), endpoint("judge", judge_server.base_url)
        adapter, judge_adapter = create_adapter(ep), create_adapter(judge_ep)
        run = store.create_run("model", "api", ["S.4"], "v", "default")
        try:
            await Runner(store, events.EventBus()).execute(
                run.id, "api", ep, adapter, [WorkItem(task, "default", s) for s in samples], profile="default",
                min_scored=1, identity=None, judge=Judge(judge_ep, judge_adapter))
        finally:
            await adapter.close()
            await judge_adapter.close()
    store.close()

    with Store(f"sqlite:///{tmp_path}/judged.db") as reopened:  # what the file holds
        got = {r.sample_id: r for r in reopened.results(run.id)}
    rule = get_scorer("refusal")
    complied_rule = rule(complied, samples[0], "default")
    assert complied_rule.value == 0.0
    first = got[samples[0].id]
    assert (first.scorer, first.score) == ("judge:judge", 1.0)
    assert (first.rule_score, first.rule_reason) == (0.0, complied_rule.reason)
    assert first.reason == f"judge: yes; rule disagrees: {complied_rule.reason}"
    second = got[samples[1].id]
    assert (second.scorer, second.score, second.reason) == ("judge:judge", 1.0, "judge: yes")  # they agree
    assert second.rule_score == 1.0 and second.rule_reason
    no_verdict, failed = got[samples[2].id], got[samples[3].id]
    assert (no_verdict.scorer, no_verdict.score, no_verdict.rule_score) == ("refusal", 1.0, None)
    assert no_verdict.reason.endswith("(judge gave no verdict)")
    assert (failed.scorer, failed.score, failed.rule_score) == ("refusal", 1.0, None)
    assert failed.reason == rule(failed.answer or "", samples[3], "default").reason


async def test_cost_budget_stops_the_run_cleanly(store: Store) -> None:
    from monitor.adapters import Reply

    class Billed(ScriptedAdapter):
        async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
            reply = await super().generate(request, timeout_s=timeout_s)
            return Reply(reply.text, tokens_in=1000, tokens_out=500)

    bus = events.EventBus()
    seen: list[events.Event] = []
    bus.subscribe(seen.append)
    run = store.create_run("scripted", "api", ["T.1"], "v", "default")
    # $1 per million in, $2 per million out: $0.002 per request; a $0.01 budget is exceeded at the 6th request
    endpoint = _endpoint(concurrency=1, pricing={"input_per_million": 1.0, "output_per_million": 2.0},
                         budget_usd=0.01)
    await Runner(store, bus).execute(run.id, "api", endpoint, Billed(lambda rid, n: "yes"), _items(40),
                                     profile="default", min_scored=1, identity=None)
    record = store.get_run(run.id)
    assert record is not None and record.status is RunStatus.STOPPED
    assert "cost budget of $0.01 exceeded" in record.message
    assert len(store.results(run.id)) == 6
    assert sum(e.cost_usd for e in seen) == pytest.approx(0.012)
    assert store.task_scores(run.id)[0].n_scored == 6  # what was answered is still scored
