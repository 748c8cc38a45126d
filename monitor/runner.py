"""Executes one run: a list of independent (task, variant, sample) work items against one endpoint.

Bounded concurrency per endpoint, a timeout per request, retries with exponential backoff and jitter on
retryable errors only, cancellation, progress events. A failed request is stored as an error of its kind and
never scored. Results are written to the store in small batches so a crash loses at most one batch.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from monitor import events
from monitor.adapters import Adapter, AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply
from monitor.aggregation import task_score
from monitor.judging import verdict
from monitor.store import RunStatus, SampleResult, Store, TaskScoreRecord
from monitor.tracing import tracer
from probes.catalogue import Sample, Task
from probes.scorers import get_scorer

if TYPE_CHECKING:
    from monitor.config import EndpointConfig

log = logging.getLogger(__name__)

PLATFORM_REFUSAL = "platform_refusal"  # a sample's reason (and request outcome) when the platform blocked it
FLUSH_EVERY = 20  # results per store transaction
FLUSH_INTERVAL_S = 1.0


@dataclass(frozen=True)
class WorkItem:
    task: Task
    variant: str
    sample: Sample


@lru_cache(maxsize=256)
def load_image(path: Path) -> Any:
    """PNG → RGB uint8 array (H, W, 3); cached, the suite reuses images across variants."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        array = np.asarray(img.convert("RGB"), dtype=np.uint8)
    array.setflags(write=False)
    return array


def backoff_delay(attempt: int, initial: float, maximum: float, retry_after: float | None = None) -> float:
    """Delay before retry number ``attempt`` (1-based): capped exponential with full jitter in [0.5, 1.5)."""
    base = min(maximum, initial * (2 ** (attempt - 1)))
    delay = base * (0.5 + random.random())
    if retry_after is not None:
        delay = max(delay, min(retry_after, maximum))
    return delay


async def call_with_retries(
    endpoint: EndpointConfig, adapter: Adapter, request: ProbeRequest,
    on_retry: Callable[[int, AdapterError], None] | None = None,
) -> tuple[Reply | AdapterError, int, float]:
    """One request with the endpoint's timeout and retries on retryable errors: (reply or final error, attempts,
    last latency). ``on_retry(attempt, error)`` is told before each retry."""
    retry = endpoint.retries
    attempt = 0
    while True:
        attempt += 1
        t0 = time.monotonic()
        try:
            reply = await asyncio.wait_for(
                adapter.generate(request, timeout_s=endpoint.timeout), timeout=endpoint.timeout + 5
            )
            return reply, attempt, time.monotonic() - t0
        except (AdapterError, TimeoutError) as exc:
            err = exc if isinstance(exc, AdapterError) else AdapterError(ErrorKind.TIMEOUT, "no reply")
            if not (err.retryable and attempt < retry.max_attempts):
                return err, attempt, time.monotonic() - t0
            if on_retry is not None:
                on_retry(attempt, err)
            await asyncio.sleep(backoff_delay(attempt, retry.backoff_initial, retry.backoff_max, err.retry_after))


@dataclass
class RunOutcome:
    status: RunStatus
    scores: list[TaskScoreRecord]
    identity: ModelIdentity | None


class Runner:
    def __init__(self, store: Store, bus: events.EventBus) -> None:
        self.store = store
        self.bus = bus
        self.shutting_down = False  # set by the run manager: a cancellation then means "interrupted"

    async def execute(
        self,
        run_id: str,
        trigger: str,
        endpoint: EndpointConfig,
        adapter: Adapter,
        items: list[WorkItem],
        *,
        profile: str,
        min_scored: int,
        identity: ModelIdentity | None,
        judge: Judge | None = None,
        max_error_share: float = 1.0,
    ) -> RunOutcome:
        name = endpoint.name
        started = time.monotonic()
        ident = identity or ModelIdentity(model="")
        await asyncio.to_thread(
            self.store.mark_running, run_id, model=ident.model, model_version=ident.version,
            model_fingerprint=ident.fingerprint, total_items=len(items),
        )
        self.bus.publish(events.Event(events.RUN_STARTED, name, run_id, status="running", trigger=trigger,
                                      total=len(items)))
        tasks = {it.task.id: it.task for it in items}
        state = _RunState(total=len(items))
        buffer: list[SampleResult] = []
        last_flush = time.monotonic()
        sem = asyncio.Semaphore(endpoint.concurrency)

        async def flush() -> None:
            nonlocal buffer, last_flush
            if buffer:
                batch, buffer = buffer, []
                await asyncio.to_thread(self.store.add_results, run_id, batch)
                await asyncio.to_thread(self.store.update_progress, run_id, state.done, state.errors)
            last_flush = time.monotonic()

        status = RunStatus.SUCCEEDED
        message = ""
        with tracer().start_as_current_span(
            "run", attributes={"run.id": run_id, "endpoint": name, "trigger": trigger, "items": len(items)}
        ) as run_span:
            task_spans = {
                tid: tracer().start_span("task", attributes={"task": tid, "run.id": run_id}) for tid in tasks
            }

            async def one(item: WorkItem) -> None:
                nonlocal buffer
                async with sem:
                    if state.stop_reason:  # a limit was hit: items not yet sent are left out
                        return
                    ctx = trace.set_span_in_context(task_spans[item.task.id])
                    result = await self._attempt(endpoint, adapter, item, profile, ctx, judge)
                state.done += 1
                cost = _cost(endpoint, result)
                state.cost_usd += cost
                if endpoint.budget_usd is not None and state.cost_usd > endpoint.budget_usd and not state.stop_reason:
                    state.stop_reason = (f"stopped: cost budget of ${endpoint.budget_usd:.2f} exceeded "
                                         f"(${state.cost_usd:.4f} spent after {state.done} of {state.total} items)")
                if result.error_kind is not None:
                    state.errors += 1
                if state.done * 4 // state.total != (state.done - 1) * 4 // state.total and state.done < state.total:
                    log.info("run %s on %s: %d/%d items, %d errors", run_id, name, state.done, state.total,
                             state.errors)
                buffer.append(result)
                self.bus.publish(events.Event(
                    events.SAMPLE_DONE, name, run_id, total=state.total, done=state.done, errors=state.errors,
                    task=item.task.id, outcome=result.error_kind or _outcome(result), latency_s=result.latency_s,
                    tokens_in=result.tokens_in or 0, tokens_out=result.tokens_out or 0, cost_usd=cost,
                ))
                if len(buffer) >= FLUSH_EVERY or time.monotonic() - last_flush > FLUSH_INTERVAL_S:
                    await flush()

            workers = [asyncio.ensure_future(one(item)) for item in items]
            try:
                await asyncio.gather(*workers)
            except asyncio.CancelledError:
                if self.shutting_down:
                    status, message = RunStatus.INTERRUPTED, "the service stopped during the run"
                else:
                    status, message = RunStatus.CANCELLED, "cancelled"
                for w in workers:
                    w.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
            except Exception as exc:  # a bug or a broken store: keep what we have, say why
                log.exception("run %s on %s failed", run_id, name)
                status, message = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
                for w in workers:
                    w.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
            finally:
                for span in task_spans.values():
                    span.end()
            await asyncio.shield(flush())
            if status is RunStatus.SUCCEEDED and state.stop_reason:
                status, message = RunStatus.STOPPED, state.stop_reason
            elif status is RunStatus.SUCCEEDED and state.done and state.errors > max_error_share * state.done:
                status = RunStatus.DEGRADED
                message = (f"degraded: {state.errors} of {state.done} requests failed "
                           f"({state.errors / state.done:.0%}, more than {max_error_share:.0%}); only tasks "
                           "measured reliably are published")
            scores: list[TaskScoreRecord] = []
            if status in (RunStatus.SUCCEEDED, RunStatus.STOPPED, RunStatus.DEGRADED):
                results = await asyncio.to_thread(self.store.results, run_id)
                by_task: dict[str, list[SampleResult]] = defaultdict(list)
                for r in results:
                    by_task[r.task].append(r)
                scores = [task_score(task, by_task.get(tid, []), min_scored) for tid, task in tasks.items()]
                await asyncio.to_thread(self.store.save_task_scores, run_id, scores)
            record = await asyncio.shield(asyncio.to_thread(self.store.finish_run, run_id, status, message))
            run_span.set_attribute("run.status", record.status.value)
            run_span.set_attribute("run.errors", state.errors)
        await self.bus.deliver(events.Event(
            events.RUN_FINISHED, name, run_id, status=status.value, trigger=trigger, total=state.total,
            done=state.done, errors=state.errors, duration_s=time.monotonic() - started, message=message,
        ))
        log.info("run %s on %s %s: %d/%d items, %d errors", run_id, name, status.value, state.done, state.total,
                 state.errors)
        if status in (RunStatus.CANCELLED, RunStatus.INTERRUPTED):
            raise asyncio.CancelledError
        return RunOutcome(status, scores, identity)

    async def _call(
        self, endpoint: EndpointConfig, adapter: Adapter, request: ProbeRequest, span: trace.Span
    ) -> tuple[Reply | AdapterError, int, float]:
        return await call_with_retries(
            endpoint, adapter, request,
            on_retry=lambda attempt, err: span.add_event("retry", {"attempt": attempt, "error": err.kind.value}),
        )

    async def _attempt(
        self, endpoint: EndpointConfig, adapter: Adapter, item: WorkItem, profile: str, ctx: Any,
        judge: Judge | None = None,
    ) -> SampleResult:
        task, sample, variant = item.task, item.sample, item.variant
        base: dict[str, Any] = {"task": task.id, "variant": variant, "sample_id": sample.id}
        image_path = task.image_path(sample, variant)
        image = await asyncio.to_thread(load_image, image_path) if image_path is not None else None
        request = ProbeRequest(prompt=sample.prompt, image=image, max_tokens=endpoint.max_tokens,
                               request_id=f"{task.id}/{variant}/{sample.id}")
        with tracer().start_as_current_span(
            "request", context=ctx, attributes={"task": task.id, "variant": variant, "sample": sample.id}
        ) as span:
            outcome, attempts, latency = await self._call(endpoint, adapter, request, span)
            if isinstance(outcome, AdapterError):
                span.set_attribute("outcome", outcome.kind.value)
                return SampleResult(**base, scorer=task.scorer, answer=None, score=None,
                                    error_kind=outcome.kind.value, error_message=outcome.message[:500],
                                    latency_s=latency, attempts=attempts)
            reply = outcome
            if reply.platform_refusal:
                span.set_attribute("outcome", PLATFORM_REFUSAL)
                return SampleResult(**base, scorer=task.scorer, answer=None, score=None, error_kind=None,
                                    latency_s=latency, attempts=attempts, reason=PLATFORM_REFUSAL,
                                    tokens_in=reply.tokens_in, tokens_out=reply.tokens_out)
            span.set_attribute("outcome", "ok")
            judged: tuple[float, str] | None = None
            no_verdict = False
            if judge is not None and task.judge_prompt:
                judged, no_verdict = await self._judge(judge, task, sample, reply.text, span)
        rule_value, rule_reason = _rule_score(task, sample, reply.text, profile)
        fields: dict[str, Any] = {"scorer": task.scorer, "score": rule_value, "reason": rule_reason}
        if judged is not None and judge is not None:  # the judge's verdict counts; the rule's is kept beside it
            value, reason = judged
            fields = {"scorer": f"judge:{judge.endpoint.name}", "score": value,
                      "reason": verdict.judged_reason(reason, value, rule_value, rule_reason),
                      "rule_score": rule_value, "rule_reason": rule_reason}
        elif no_verdict:
            fields["reason"] = f"{rule_reason} ({verdict.NO_VERDICT})"
        return SampleResult(**base, **fields, answer=reply.text, error_kind=None, latency_s=latency,
                            attempts=attempts, tokens_in=reply.tokens_in, tokens_out=reply.tokens_out)

    async def _judge(
        self, judge: Judge, task: Task, sample: Sample, answer: str, span: trace.Span
    ) -> tuple[tuple[float, str] | None, bool]:
        """Ask the judge endpoint: ((score, reason), False) on a verdict; (None, True) when its reply holds no
        yes/no; (None, False) when the prompt does not fit the sample or the judge itself fails. Without a
        verdict the rule scorer's counts."""
        assert task.judge_prompt is not None
        try:
            prompt = verdict.render(task.judge_prompt, question=sample.prompt, answer=answer, target=sample.target)
        except verdict.PromptMismatch:
            log.warning("judge prompt of %s does not fit sample %s; using the rule scorer", task.id, sample.id)
            return None, False
        request = ProbeRequest(prompt=prompt, max_tokens=judge.endpoint.max_tokens,
                               request_id=f"judge/{task.id}/{sample.id}")
        outcome, _, _ = await self._call(judge.endpoint, judge.adapter, request, span)
        if isinstance(outcome, AdapterError):
            span.add_event("judge failed", {"error": outcome.kind.value})
            return None, False
        said = verdict.read(outcome.text)
        if said is None:
            span.add_event("judge gave no verdict")
            return None, True
        return verdict.score_of(said), False


@dataclass(frozen=True)
class Judge:
    """The endpoint that grades answers of tasks with a judge prompt (the original used GPT-4)."""

    endpoint: EndpointConfig
    adapter: Adapter


def _rule_score(task: Task, sample: Sample, answer: str, profile: str) -> tuple[float | None, str]:
    """The task's rule scorer on one answer; a scorer bug gives no score (and is logged), never a lost answer."""
    try:
        scored = get_scorer(task.scorer)(answer, sample, profile)
    except Exception as exc:
        log.exception("scorer %s failed on %s/%s", task.scorer, task.id, sample.id)
        return None, f"scorer failed: {type(exc).__name__}"
    return scored.value, scored.reason


def _outcome(result: SampleResult) -> str:
    return PLATFORM_REFUSAL if result.reason == PLATFORM_REFUSAL and result.answer is None else "ok"


def _cost(endpoint: EndpointConfig, result: SampleResult) -> float:
    pricing = endpoint.pricing
    if pricing is None:
        return 0.0
    return ((result.tokens_in or 0) * pricing.input_per_million
            + (result.tokens_out or 0) * pricing.output_per_million) / 1e6


@dataclass
class _RunState:
    total: int
    done: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    stop_reason: str = ""
