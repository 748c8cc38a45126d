"""Executes one run: a list of independent (task, variant, sample) work items against one endpoint.

Bounded concurrency per endpoint, a timeout per request, retries with exponential backoff and jitter on
retryable errors only, cancellation, progress events. A failed request is stored as an error of its kind and
never scored. Each result is committed before it counts as done (monitor.batching: results that arrive together
share a transaction), so a killed process loses only the answers whose commit had not returned, one per worker
at most; a resumed run (monitor.recovery) sends only the items with no stored result.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from monitor import events, images
from monitor.adapters import Adapter, AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply
from monitor.aggregation import task_score
from monitor.batching import MicroBatch
from monitor.judging import verdict
from monitor.limiter import AdaptiveLimit
from monitor.store import RunStatus, SampleResult, Store, StoreError, TaskScoreRecord
from monitor.tracing import tracer
from probes.catalogue import Sample, Task
from probes.scorers import get_preparer, get_scorer

if TYPE_CHECKING:
    from monitor.config import EndpointConfig

log = logging.getLogger(__name__)

PLATFORM_REFUSAL = "platform_refusal"  # a sample's reason (and request outcome) when the platform blocked it
COMMIT_LINGER_S = 0.025  # answers arriving within this share a transaction (bench/durability.py)
COMMITS_PER_SLOT = 2  # answers awaiting their commit per request slot (a kill loses these and one in hand per worker)
RATE_LIMIT_ATTEMPTS = 50  # rate-limited attempts retried beyond retries.max_attempts under an adaptive limit


@dataclass(frozen=True)
class WorkItem:
    task: Task
    variant: str
    sample: Sample


def load_image(path: Path) -> Any:
    """PNG → RGB uint8 array (H, W, 3), read-only; from the process-wide prepared images (monitor.images)."""
    return images.load(path).pixels()


_IMAGE_PATHS: dict[tuple[str, str, str], Path | None] = {}
_MAX_IMAGE_PATHS = 65536


def image_path(task: Task, sample: Sample, variant: str) -> Path | None:
    """``task.image_path``, remembered: the unrelated variants' choice lists a folder on every call."""
    key = (task.id, variant, sample.id)
    try:
        return _IMAGE_PATHS[key]
    except KeyError:
        pass
    path = task.image_path(sample, variant)
    if len(_IMAGE_PATHS) >= _MAX_IMAGE_PATHS:
        _IMAGE_PATHS.clear()
    _IMAGE_PATHS[key] = path
    return path


def backoff_delay(attempt: int, initial: float, maximum: float, retry_after: float | None = None) -> float:
    """Delay before retry number ``attempt`` (1-based): capped exponential with full jitter in [0.5, 1.5)."""
    base = min(maximum, initial * (2 ** (attempt - 1)))
    delay = base * (0.5 + random.random())
    if retry_after is not None:
        delay = max(delay, min(retry_after, maximum))
    return delay


async def call_with_retries(
    endpoint: EndpointConfig, adapter: Adapter, request: ProbeRequest,
    on_retry: Callable[[int, AdapterError], None] | None = None, limit: AdaptiveLimit | None = None,
) -> tuple[Reply | AdapterError, int, float]:
    """One request with the endpoint's timeout and retries on retryable errors: (reply or final error, attempts,
    last latency). ``on_retry(attempt, error)`` is told before each retry. With ``limit``, each attempt holds one
    of its slots while in flight (not while backing off), and rate-limited attempts are retried up to
    :data:`RATE_LIMIT_ATTEMPTS` times: the limit adapts until they stop."""
    retry = endpoint.retries
    attempt = rate_limited = 0
    while True:
        attempt += 1
        since = await limit.acquire() if limit is not None else 0.0
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(endpoint.timeout + 5):  # no extra task per request, unlike wait_for
                reply = await adapter.generate(request, timeout_s=endpoint.timeout)
        except (AdapterError, TimeoutError) as exc:
            err = exc if isinstance(exc, AdapterError) else AdapterError(ErrorKind.TIMEOUT, "no reply")
            latency = time.monotonic() - t0
            throttled = err.kind is ErrorKind.RATE_LIMITED
            if limit is not None:
                await limit.release(rate_limited=throttled, retry_after=err.retry_after, since=since)
            rate_limited += throttled
            allowed = retry.max_attempts + (min(rate_limited, RATE_LIMIT_ATTEMPTS) if limit is not None else 0)
            if not (err.retryable and attempt < allowed):
                return err, attempt, latency
            if on_retry is not None:
                on_retry(attempt, err)
            if throttled and limit is not None and err.retry_after is not None:
                # the limit paces the endpoint: wait what it asked, with a little jitter, not a growing backoff
                delay = min(err.retry_after, retry.backoff_max) * (1 + random.random() / 2) + random.random() / 50
            else:
                delay = backoff_delay(attempt, retry.backoff_initial, retry.backoff_max, err.retry_after)
            await asyncio.sleep(delay)
            continue
        except BaseException:
            if limit is not None:
                await asyncio.shield(limit.release())
            raise
        if limit is not None:
            await limit.release(ok=True, since=since)
        return reply, attempt, time.monotonic() - t0


def final_status(stop_reason: str, done: int, errors: int, max_error_share: float) -> tuple[RunStatus, str]:
    """How a run that was not cancelled or failed ends: stopped by a limit, degraded by too many failed requests,
    or succeeded."""
    if stop_reason:
        return RunStatus.STOPPED, stop_reason
    if done and errors > max_error_share * done:
        return RunStatus.DEGRADED, (f"degraded: {errors} of {done} requests failed ({errors / done:.0%}, more than "
                                    f"{max_error_share:.0%}); only tasks measured reliably are published")
    return RunStatus.SUCCEEDED, ""


def score_run(store: Store, run_id: str, tasks: dict[str, Task], min_scored: int, profile: str
              ) -> list[TaskScoreRecord]:
    """Score each task of a run from its stored results (read one task at a time: a run's memory stays that of
    its largest task) and store the scores."""
    scores = [task_score(task, store.results(run_id, task=tid), min_scored, profile) for tid, task in tasks.items()]
    store.save_task_scores(run_id, scores)
    return scores


@dataclass(frozen=True)
class Prior:
    """What a resumed run had stored before: its full plan's size and its stored results and errors."""

    total: int
    done: int
    errors: int


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
        self.scoring = Scoring()
        self._limits: dict[str, AdaptiveLimit] = {}
        # told (endpoint, limit) whenever an endpoint's concurrency limit changes: trust_endpoint_concurrency
        self.on_limit: Callable[[str, int], None] | None = None
        # told (endpoint, reply) of every successful probe reply: model-change detection (monitor.identity)
        self.on_reply: Callable[[str, Reply], None] | None = None

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
        tasks: dict[str, Task] | None = None,
        prior: Prior | None = None,
    ) -> RunOutcome:
        """Send ``items`` and score the run. A resumed run passes only the items it has no result for, the tasks
        of its whole plan (``tasks``: what it scores) and what it had stored (``prior``)."""
        name = endpoint.name
        started = time.monotonic()
        ident = identity or ModelIdentity(model="")
        prior = prior or Prior(len(items), 0, 0)
        await asyncio.to_thread(
            self.store.mark_running, run_id, model=ident.model, model_version=ident.version,
            model_fingerprint=ident.fingerprint, total_items=prior.total,
        )
        self.bus.publish(events.Event(events.RUN_STARTED, name, run_id, status="running", trigger=trigger,
                                      total=prior.total))
        tasks = tasks if tasks is not None else {it.task.id: it.task for it in items}
        state = RunState(total=prior.total, done=prior.done, errors=prior.errors)
        stored = [prior.done, prior.errors]  # what the run row says: advanced by each committed transaction

        def write(batch: list[SampleResult]) -> list[None]:
            done = stored[0] + len(batch)
            errors = stored[1] + sum(r.error_kind is not None for r in batch)
            self.store.add_results(run_id, batch, progress=(done, errors))
            stored[:] = [done, errors]
            return [None] * len(batch)

        commits: MicroBatch[SampleResult, None] = MicroBatch(write, linger_s=COMMIT_LINGER_S)  # a transaction a batch

        status = RunStatus.SUCCEEDED
        message = ""
        with tracer().start_as_current_span(
            "run", attributes={"run.id": run_id, "endpoint": name, "trigger": trigger, "items": len(items)}
        ) as run_span:
            task_spans = {
                tid: tracer().start_span("task", attributes={"task": tid, "run.id": run_id}) for tid in tasks
            }

            try:
                await self.send(run_id, endpoint, adapter, items, profile=profile, judge=judge, state=state,
                                commit=commits.put, spans=task_spans)
            except asyncio.CancelledError:
                if self.shutting_down:
                    status, message = RunStatus.INTERRUPTED, "the service stopped during the run"
                else:
                    status, message = RunStatus.CANCELLED, "cancelled"
            except StoreError as exc:  # the store full, locked or gone: one line, the store's own words
                log.error("run %s on %s failed: %s", run_id, name, exc)
                status, message = RunStatus.FAILED, str(exc)
            except Exception as exc:  # a bug: keep what we have, say why
                log.exception("run %s on %s failed", run_id, name)
                status, message = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
            finally:
                for span in task_spans.values():
                    span.end()
            await commits.drain()  # answers already in hand are kept, whatever ended the run
            if status is RunStatus.SUCCEEDED:
                status, message = final_status(state.stop_reason, state.done, state.errors, max_error_share)
            scores: list[TaskScoreRecord] = []
            if status in (RunStatus.SUCCEEDED, RunStatus.STOPPED, RunStatus.DEGRADED):
                # off the loop: a task-level aggregator may import and run scipy
                scores = await asyncio.to_thread(score_run, self.store, run_id, tasks, min_scored, profile)
            record = await asyncio.shield(asyncio.to_thread(self.store.finish_run, run_id, status, message))
            run_span.set_attribute("run.status", record.status.value)
            run_span.set_attribute("run.errors", state.errors)
        await self.bus.deliver(events.Event(
            events.RUN_FINISHED, name, run_id, status=status.value, trigger=trigger, total=state.total,
            done=state.done, errors=state.errors, duration_s=time.monotonic() - started, message=message,
        ))
        log.info("run %s on %s %s: %d/%d items, %d errors (%d results stored in %d transactions)", run_id, name,
                 status.value, state.done, state.total, state.errors, commits.items, commits.batches)
        if status in (RunStatus.CANCELLED, RunStatus.INTERRUPTED):
            raise asyncio.CancelledError
        return RunOutcome(status, scores, identity)

    async def send(
        self, run_id: str, endpoint: EndpointConfig, adapter: Adapter, items: Iterable[WorkItem], *, profile: str,
        judge: Judge | None, state: RunState, commit: Callable[[SampleResult], asyncio.Future[Any]],
        spans: dict[str, trace.Span], limit: AdaptiveLimit | None = None, concurrency: int | None = None,
    ) -> None:
        """Send ``items`` with ``concurrency`` in flight (default: the endpoint's). Each result is handed to
        ``commit`` (a future that resolves once it is stored) and counts, and is told as a probe event, only once
        stored; a request slot does not wait for the commit, and at most :data:`COMMITS_PER_SLOT` answers per slot
        await theirs. Stops sending once ``state.stop_reason`` is set. Cancellation and errors (a failed commit
        included) stop every request in flight and are raised; answers already in hand are stored."""
        name = endpoint.name
        width = concurrency or endpoint.concurrency
        room = asyncio.Semaphore(COMMITS_PER_SLOT * width)
        storing: set[asyncio.Future[Any]] = set()
        failed: list[BaseException] = []

        def stored(item: WorkItem, result: SampleResult, cost: float, future: asyncio.Future[Any]) -> None:
            storing.discard(future)
            room.release()
            error = None if future.cancelled() else future.exception()
            if future.cancelled() or error is not None:
                failed.append(error or asyncio.CancelledError())
                return
            state.done += 1
            if result.error_kind is not None:
                state.errors += 1
            if state.done * 4 // state.total != (state.done - 1) * 4 // state.total and state.done < state.total:
                log.info("run %s on %s: %d/%d items, %d errors", run_id, name, state.done, state.total,
                         state.errors)
            self.bus.publish(events.Event(
                events.SAMPLE_DONE, name, run_id, total=state.total, done=state.done, errors=state.errors,
                task=item.task.id, outcome=result.error_kind or _outcome(result), latency_s=result.latency_s,
                tokens_in=result.tokens_in or 0, tokens_out=result.tokens_out or 0, cost_usd=cost,
            ))

        async def one(item: WorkItem) -> None:
            if failed:  # a commit failed: the store is full, locked or gone
                raise failed[0]
            if state.stop_reason:  # a limit was hit: items not yet sent are left out
                return
            ctx = trace.set_span_in_context(spans[item.task.id])
            result = await self._attempt(endpoint, adapter, item, profile, ctx, judge, limit)
            cost = _cost(endpoint, result)
            state.cost_usd += cost
            if endpoint.budget_usd is not None and state.cost_usd > endpoint.budget_usd and not state.stop_reason:
                state.stop_reason = (f"stopped: cost budget of ${endpoint.budget_usd:.2f} exceeded "
                                     f"(${state.cost_usd:.4f} spent after {state.done + 1} of {state.total} "
                                     "items)")
            await room.acquire()
            future = commit(result)  # stored before it counts (in ``stored``)
            storing.add(future)
            future.add_done_callback(functools.partial(stored, item, result, cost))

        pending = iter(items)

        async def worker() -> None:  # a fixed set of workers: no task object per item
            for item in pending:
                await one(item)

        # a few workers beyond the limit: while one scores its answer, another already holds the free slot
        count = min(width + max(1, width // 4), max(1, state.total - state.done))
        workers = [asyncio.ensure_future(worker()) for _ in range(count)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:  # the answers in hand are stored (and counted) whatever ended the sending
            while storing:
                await asyncio.wait(list(storing))
            await asyncio.sleep(0)  # their done callbacks have run
        if failed:
            raise failed[0]

    def limit_of(self, endpoint: EndpointConfig) -> AdaptiveLimit:
        """The endpoint's adaptive concurrency limit, kept across its runs (ceiling: its ``concurrency``)."""
        limit = self._limits.get(endpoint.name)
        rpm = endpoint.requests_per_minute
        if limit is None or (limit.ceiling, limit.per_minute) != (endpoint.concurrency, rpm):
            limit = AdaptiveLimit(endpoint.concurrency, functools.partial(self._limit_changed, endpoint.name),
                                  per_minute=rpm)
            self._limits[endpoint.name] = limit
        return limit

    def _limit_changed(self, endpoint: str, value: int) -> None:
        if self.on_limit is not None:
            self.on_limit(endpoint, value)

    async def _call(
        self, endpoint: EndpointConfig, adapter: Adapter, request: ProbeRequest, span: trace.Span,
        limit: AdaptiveLimit | None = None,
    ) -> tuple[Reply | AdapterError, int, float]:
        return await call_with_retries(
            endpoint, adapter, request,
            on_retry=lambda attempt, err: span.add_event("retry", {"attempt": attempt, "error": err.kind.value}),
            limit=limit,
        )

    async def _attempt(
        self, endpoint: EndpointConfig, adapter: Adapter, item: WorkItem, profile: str, ctx: Any,
        judge: Judge | None = None, limit: AdaptiveLimit | None = None,
    ) -> SampleResult:
        task, sample, variant = item.task, item.sample, item.variant
        base: dict[str, Any] = {"task": task.id, "variant": variant, "sample_id": sample.id}
        path = image_path(task, sample, variant)
        image = None
        if path is not None:  # prepared once per process; the file is read off the event loop
            image = images.cached(path) or await asyncio.to_thread(images.load, path)
        request = ProbeRequest(prompt=sample.prompt, image=image, max_tokens=endpoint.max_tokens,
                               request_id=f"{task.id}/{variant}/{sample.id}")
        with tracer().start_as_current_span(
            "request", context=ctx, attributes={"task": task.id, "variant": variant, "sample": sample.id}
        ) as span:
            outcome, attempts, latency = await self._call(endpoint, adapter, request, span,
                                                          limit or self.limit_of(endpoint))
            if isinstance(outcome, AdapterError):
                span.set_attribute("outcome", outcome.kind.value)
                return SampleResult(**base, scorer=task.scorer, answer=None, score=None,
                                    error_kind=outcome.kind.value, error_message=outcome.message[:500],
                                    latency_s=latency, attempts=attempts)
            reply = outcome
            if self.on_reply is not None:
                self.on_reply(endpoint.name, reply)
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
        rule_value, rule_reason = await self.scoring.score(task, sample, reply.text, profile)
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


class Scoring:
    """Runs rule scorers: on the event loop while a scorer is cheap, on one worker thread once it is not.

    A scorer's first calls run on the worker (the first may import a model: the offensive-language classifier
    of S.1 and S.3 takes about a second to load, and does not count); a scorer whose next :data:`TRIALS` calls
    take longer than :data:`HEAVY_S` of CPU at the median stays there for good, one that does not moves to the
    loop (and back for good once :data:`TRIALS` calls there took longer than :data:`HEAVY_ON_LOOP_S`). A
    median, not one call: a garbage collection landing in a call would otherwise send a cheap scorer to the
    worker for good, a thread round trip (≈ 0.25 ms of CPU) on every answer. The single worker keeps
    thread-unsafe scorers safe and the loop free for requests.
    """

    HEAVY_S = 0.001  # median CPU time of a call on the worker
    HEAVY_ON_LOOP_S = 0.005  # wall time of a call on the loop
    TRIALS = 3  # calls measured before a scorer is judged cheap, or slow calls on the loop before it is moved
    BATCH_LINGER_S = 0.01  # answers for a scorer with a batch preparation, arriving within this, go together

    def __init__(self) -> None:
        self._cheap: set[str] = set()  # seen on the worker and fast every time so far
        self._heavy: set[str] = set()  # once slow, always on the worker
        self._seen: set[str] = set()
        self._trials: dict[str, list[float]] = defaultdict(list)  # CPU times on the worker, before a verdict
        self._slow_on_loop: dict[str, int] = defaultdict(int)
        self._executor: Any = None
        self._batches: MicroBatch[tuple[Task, Sample, str, str], tuple[float | None, str]] | None = None
        self._loop_cpu_s = 0.0  # on the event loop
        self._worker_cpu_s = 0.0  # on the worker (written there only)

    @property
    def cpu_s(self) -> float:
        """CPU time spent in scorers so far (benchmarks report it)."""
        return self._loop_cpu_s + self._worker_cpu_s

    def _worker(self) -> Any:
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring")
        return self._executor

    async def score(self, task: Task, sample: Sample, answer: str, profile: str) -> tuple[float | None, str]:
        name = task.scorer
        if get_preparer(name) is not None:  # scored with the answers arriving alongside, on the worker
            if self._batches is None:
                self._batches = MicroBatch(self._score_batch, linger_s=self.BATCH_LINGER_S, executor=self._worker())
            return await self._batches.submit((task, sample, answer, profile))
        if name in self._cheap:
            t0 = time.perf_counter()
            out = _rule_score(task, sample, answer, profile)
            took = time.perf_counter() - t0
            self._loop_cpu_s += took
            if took > self.HEAVY_ON_LOOP_S:  # wall time: a loaded machine adds to it
                self._slow_on_loop[name] += 1
                if self._slow_on_loop[name] >= self.TRIALS:
                    self._cheap.discard(name)
                    self._heavy.add(name)
            return out
        out, took = await asyncio.get_running_loop().run_in_executor(
            self._worker(), _timed_rule_score, task, sample, answer, profile)
        self._loop_cpu_s += took
        if name not in self._seen:  # the first call pays for imports and compiled patterns: it does not count
            self._seen.add(name)
        elif name not in self._heavy and name not in self._cheap:
            trials = self._trials[name]
            trials.append(took)
            if len(trials) >= self.TRIALS:
                (self._heavy if statistics.median(trials) > self.HEAVY_S else self._cheap).add(name)
                del self._trials[name]
        return out


    def _score_batch(self, items: list[tuple[Task, Sample, str, str]]) -> list[tuple[float | None, str]]:
        """On the worker: each scorer's batch preparation over its answers, then each answer scored."""
        t0 = time.thread_time()
        by_scorer: dict[str, list[tuple[str, Sample, str]]] = defaultdict(list)
        for task, sample, answer, profile in items:
            by_scorer[task.scorer].append((answer, sample, profile))
        for name, group in by_scorer.items():
            prepare = get_preparer(name)
            try:
                if prepare is not None:
                    prepare(group)
            except Exception:  # the answers are still scored, one by one
                log.exception("batch preparation of scorer %s failed", name)
        out = [_rule_score(task, sample, answer, profile) for task, sample, answer, profile in items]
        self._worker_cpu_s += time.thread_time() - t0
        return out


def _timed_rule_score(task: Task, sample: Sample, answer: str, profile: str
                      ) -> tuple[tuple[float | None, str], float]:
    t0 = time.thread_time()  # CPU time: waiting for the GIL or a core does not make a scorer heavy
    out = _rule_score(task, sample, answer, profile)
    return out, time.thread_time() - t0


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
class RunState:
    total: int
    done: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    stop_reason: str = ""
