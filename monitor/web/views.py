"""What each page shows, computed from the store and the catalogue: plain data for the templates (no HTML here).

Everything is read in one go per page; these functions are synchronous (the room calls them in a worker thread).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.aggregation import Aggregate, aggregate
from monitor.store import (
    ReviewRecord,
    RunRecord,
    RunStatus,
    SampleResult,
    TaskScoreRecord,
    Verdict,
    VerdictRecord,
    run_verdict,
)
from monitor.web.labels import reading_kind
from monitor.web.radar import Point, Series
from monitor.web.sources import Sources
from probes.catalogue import SUBDIMENSIONS, Dimension, Task

FILTERS = ("all", "failed", "passed", "errors", "changed", "partial")
Filter = Literal["all", "failed", "passed", "errors", "changed", "partial"]
SortKey = Literal["task", "score", "delta", "verdict", "n", "changed", "disagreements"]
RUNS_PER_PAGE = 25
SAMPLES_PER_PAGE = 250  # no shipped task has more (F.2, F.3: 210); official data may
# runs whose scores mean something (the others show their status and message only)
SCORED = (RunStatus.SUCCEEDED, RunStatus.DEGRADED, RunStatus.STOPPED)
_RUN_ID = r"^[0-9a-f]{1,64}$"


class PageError(Exception):
    """A page that cannot be shown: ``status`` is the HTTP status (400, 404, 409), ``message`` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RunsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str | None = Field(None, max_length=255)
    page: int = Field(1, ge=1, le=1_000_000)


class RunQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str | None = Field(None, max_length=255)
    show: Filter = "all"
    sort: SortKey = "task"
    dir: Literal["asc", "desc"] = "asc"
    ref: str | None = Field(None, pattern=_RUN_ID)
    page: int = Field(1, ge=1, le=100_000)


# ---------------------------------------------------------------------------------------------- the runs list
@dataclass
class RunRow:
    run: RunRecord
    overall: float | None
    dimensions: dict[str, float | None]
    verdict: str
    duration_s: float | None


@dataclass
class RunsView:
    latest: list[RunRow]  # each endpoint's newest run (first page of the unfiltered list only)
    rows: list[RunRow]
    endpoints: list[str]
    endpoint: str | None
    page: int
    has_next: bool
    dimensions: list[str]


def runs_view(src: Sources, query: RunsQuery) -> RunsView:
    known = sorted({*(e.name for e in src.config.endpoints), *src.store.endpoints()})
    if query.endpoint is not None and query.endpoint not in known:
        raise PageError(404, f"no endpoint {query.endpoint!r} (known: {', '.join(known) or 'none'})")
    offset = (query.page - 1) * RUNS_PER_PAGE
    runs = src.store.list_runs(query.endpoint, RUNS_PER_PAGE + 1, offset=offset)
    has_next = len(runs) > RUNS_PER_PAGE
    runs = runs[:RUNS_PER_PAGE]
    newest: list[RunRecord] = []
    if query.endpoint is None and query.page == 1 and len(known) > 1:
        newest = [runs[0] for runs in (src.store.list_runs(name, 1) for name in known) if runs]
    dims = [d.value for d in Dimension]
    wanted = list({r.id: r for r in (*newest, *runs)}.values())
    scores = src.store.task_scores_of_runs([r.id for r in wanted])
    verdicts = src.store.verdicts_of_runs([r.id for r in wanted])

    def row(r: RunRecord) -> RunRow:
        agg = _aggregate(src, r, scores[r.id])
        return RunRow(r, agg.overall, {d: agg.dimensions.get(d) for d in dims}, run_verdict(verdicts[r.id]),
                      _duration(r))

    return RunsView([row(r) for r in newest], [row(r) for r in runs], known, query.endpoint, query.page, has_next,
                    dims)


def _duration(r: RunRecord) -> float | None:
    if r.started_at is None or r.finished_at is None:
        return None
    return (r.finished_at - r.started_at).total_seconds()


def _aggregate(src: Sources, run: RunRecord, scores: Sequence[TaskScoreRecord]) -> Aggregate:
    if run.status not in SCORED:
        return aggregate(src.catalogue, [], [])
    return aggregate(src.catalogue, [s for s in scores if s.task in src.catalogue], src.scope(run.endpoint))


# ---------------------------------------------------------------------------------------------- one run
@dataclass
class Reference:
    run: RunRecord
    why: str  # how it was chosen, in words


@dataclass
class SampleView:
    anchor: str
    task: str
    variant: str
    sample_id: str
    prompt: str | None  # None: the sample is not in the suite this monitor has (another suite version)
    result: SampleResult
    outcome: str  # passed | failed | scored | unscorable | error
    partial: bool
    changed: bool
    reference: SampleResult | None
    show_reference: bool  # the reference's answer is shown beside: the outcome or the answer changed
    harmful: bool
    review: ReviewRecord | None
    readings: tuple[str, ...]  # what a reviewer may say the answer is (empty: no corpus kind for this task)
    image: Path | None = None  # the image sent with it: looked up only for the samples shown (see _shown)

    @property
    def classes(self) -> str:
        marks = [self.outcome]
        if self.partial:
            marks.append("partial")
        if self.changed:
            marks.append("changed")
        if self.result.error_kind is not None:
            marks.append("errors")
        if self.review is not None:
            marks.append("reviewed")
        return " ".join(marks)


@dataclass
class TaskRow:
    task: Task
    ran: bool
    score: TaskScoreRecord | None
    ref_score: float | None
    verdict: VerdictRecord | None
    scorer: str
    counts: dict[str, int]  # filter -> samples
    disagreements: int
    aggregated: bool  # scored as a whole (F.6, P.3): per-sample values are not pass/fail

    @property
    def n(self) -> int:
        return self.score.n_scored if self.score is not None else 0


@dataclass
class TaskSamples:
    row: TaskRow
    samples: list[SampleView]  # this page of the filtered list (all of it in an export)
    total: int  # samples of the task (before filtering)
    shown: int  # after filtering
    page: int
    pages: int


@dataclass
class RunView:
    run: RunRecord
    scored: bool
    aggregate: Aggregate
    ref_aggregate: Aggregate | None
    reference: Reference | None
    verdicts: list[VerdictRecord]
    verdict: str
    group_verdicts: dict[tuple[str, str], VerdictRecord]
    tasks: list[TaskRow]
    samples: list[TaskSamples]  # the chosen task's (a page), or every task's in an export
    selected: str | None
    query: RunQuery
    radar: list[Series]
    axes: list[str]
    outcomes: dict[str, int]
    tokens_in: int | None  # None: the endpoint reported no token counts
    tokens_out: int | None
    cost_usd: float | None
    suite_note: str
    reviews: int
    notes: list[str] = field(default_factory=list)


def run_view(src: Sources, run_id: str, query: RunQuery, *, everything: bool = False) -> RunView:
    """The run page; ``everything``: every task's samples (the one-file export) instead of one task's."""
    store = src.store
    run = store.get_run(run_id)
    if run is None:
        raise PageError(404, f"no run {run_id!r}")
    if query.task is not None and query.task not in src.catalogue:
        raise PageError(404, f"no task {query.task!r} in the suite")
    scored = run.status in SCORED
    scores = [s for s in store.task_scores(run.id) if s.task in src.catalogue]
    agg = _aggregate(src, run, scores)
    verdicts = store.verdicts(run.id)
    reference = _reference(src, run, verdicts, query.ref)
    ref_agg = None
    ref_results: list[SampleResult] = []
    if reference is not None:
        ref_agg = _aggregate(src, reference.run, [s for s in store.task_scores(reference.run.id)
                                                  if s.task in src.catalogue])
        ref_results = src.results(reference.run)
    results = src.results(run)
    reviews = {(r.task, r.variant, r.sample_id): r for r in store.reviews(run.id)}
    by_task: dict[str, list[SampleResult]] = defaultdict(list)
    for r in results:
        by_task[r.task].append(r)
    ref_by_key = {(r.task, r.variant, r.sample_id): r for r in ref_results}
    task_verdicts = {v.name: v for v in verdicts if v.level == "task"}
    score_of = {s.task: s for s in scores}
    ref_score_of = {t: s.score for t, s in ref_agg.tasks.items()} if ref_agg is not None else {}

    views: dict[str, list[SampleView]] = {}
    rows: list[TaskRow] = []
    for tid, task in src.catalogue.items():
        samples = [_sample_view(task, r, ref_by_key.get((r.task, r.variant, r.sample_id)),
                                reviews.get((r.task, r.variant, r.sample_id)))
                   for r in _in_suite_order(task, by_task.get(tid, []))]
        views[tid] = samples
        counts = {f: sum(1 for s in samples if _matches(s, f)) for f in FILTERS}
        rows.append(TaskRow(task, tid in run.tasks, score_of.get(tid), ref_score_of.get(tid), task_verdicts.get(tid),
                            _scorer(task, by_task.get(tid, [])), counts,
                            sum(1 for s in samples if s.review is not None), task.aggregator is not None))
    ordered = _sort(rows, query.sort, query.dir)

    selected = query.task if query.task is not None else _default_task(run, rows)
    chosen = [r for r in rows if r.ran or views[r.task.id]] if everything else [
        r for r in rows if r.task.id == selected]
    sections = []
    for row in chosen:
        samples = views[row.task.id]
        kept = [s for s in samples if _matches(s, query.show)]
        if everything:
            sections.append(TaskSamples(row, _shown(row.task, samples), len(samples), len(kept), 1, 1))
            continue
        pages = max(1, math.ceil(len(kept) / SAMPLES_PER_PAGE))
        page = min(query.page, pages)
        shown = _shown(row.task, kept[(page - 1) * SAMPLES_PER_PAGE: page * SAMPLES_PER_PAGE])
        sections.append(TaskSamples(row, shown, len(samples), len(kept), page, pages))

    axes = [sub for subs in SUBDIMENSIONS.values() for sub in subs]
    radar = [Series("run", f"this run {run.id[:8]}", _points(src.catalogue, agg, axes))]
    if ref_agg is not None and reference is not None:
        radar.append(Series("ref", f"reference {reference.run.id[:8]}", _points(src.catalogue, ref_agg, axes)))

    outcomes: Counter[str] = Counter()
    for r in results:
        outcomes[r.error_kind or ("answered" if r.score is not None else "unscorable")] += 1
    reported = any(r.tokens_in is not None or r.tokens_out is not None for r in results)
    tokens_in = sum(r.tokens_in or 0 for r in results) if reported else None
    tokens_out = sum(r.tokens_out or 0 for r in results) if reported else None
    endpoint = src.config.endpoint(run.endpoint)
    cost = None
    if endpoint is not None and endpoint.pricing is not None and tokens_in is not None and tokens_out is not None:
        cost = (tokens_in * endpoint.pricing.input_per_million + tokens_out * endpoint.pricing.output_per_million) / 1e6
    suite_note = "" if run.suite_version == src.suite_version else (
        f"this run used suite version {run.suite_version}; prompts and images are shown from the suite this "
        f"monitor has ({src.suite_version}) where the sample ids match")
    notes = []
    if reference is not None and reference.run.suite_version != run.suite_version:
        notes.append(f"the reference run is of another suite version ({reference.run.suite_version}): only samples "
                     "with the same ids are paired")
    return RunView(
        run=run, scored=scored, aggregate=agg, ref_aggregate=ref_agg, reference=reference, verdicts=verdicts,
        verdict=run_verdict(verdicts), group_verdicts={(v.level, v.name): v for v in verdicts}, tasks=ordered,
        samples=sections, selected=selected, query=query, radar=radar, axes=axes, outcomes=dict(outcomes),
        tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost, suite_note=suite_note, reviews=len(reviews),
        notes=notes,
    )


def _in_suite_order(task: Task, results: list[SampleResult]) -> list[SampleResult]:
    """Results as the suite lists them (variant, then sample), not in the order the answers came back."""
    variants = {v: i for i, v in enumerate(task.variants)}
    samples = {s.id: i for i, s in enumerate(task.samples)}
    last = len(samples)
    return sorted(results, key=lambda r: (variants.get(r.variant, len(variants)), samples.get(r.sample_id, last),
                                          r.sample_id))


def _reference(src: Sources, run: RunRecord, verdicts: Sequence[VerdictRecord], chosen: str | None) -> Reference | None:
    """The run the page compares with: the one asked for; else the endpoint's pinned baseline; else the newest
    of the runs the regression check pooled into the run's reference; else the endpoint's previous judged run."""
    store = src.store
    if chosen is not None:
        ref = store.get_run(chosen)
        if ref is None:
            raise PageError(404, f"no reference run {chosen!r}")
        if ref.id == run.id:
            raise PageError(400, "the reference must be another run")
        return Reference(ref, "chosen for this page")
    baseline = store.get_baseline(run.endpoint)
    if baseline is not None and baseline != run.id:
        ref = store.get_run(baseline)
        if ref is not None and (ref.suite_version, ref.profile) == (run.suite_version, run.profile):
            return Reference(ref, "the endpoint's pinned baseline")
    pooled = next((v.reference for v in verdicts if v.reference), [])
    if pooled:
        ref = store.get_run(pooled[0])
        if ref is not None:
            more = f" (newest of {len(pooled)} pooled)" if len(pooled) > 1 else ""
            return Reference(ref, f"the regression check's reference{more}")
    history = store.run_history(run.endpoint, suite_version=run.suite_version, profile=run.profile,
                                statuses=list(SCORED), before=run, limit=2)
    earlier = [r for r, _ in history if r.id != run.id]
    if earlier:
        return Reference(earlier[0], "the endpoint's previous run of this suite")
    return None


def _outcome(r: SampleResult, aggregated: bool) -> str:
    if r.error_kind is not None:
        return "error"
    if r.score is None:
        return "unscorable"
    if aggregated:
        return "scored"
    return "passed" if r.score >= 0.5 else "failed"


def _key(r: SampleResult) -> tuple[str, float | None]:
    return ("error", None) if r.error_kind is not None else ("scored", r.score)


def _anchor(task: str, variant: str, sample_id: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{task}-{variant}-{sample_id}")


def _sample_view(task: Task, r: SampleResult, ref: SampleResult | None, review: ReviewRecord | None) -> SampleView:
    sample = task.samples_by_id.get(r.sample_id)
    kind = reading_kind(task)
    changed = ref is not None and _key(ref) != _key(r)
    show_ref = ref is not None and (changed or (ref.answer or "") != (r.answer or ""))
    return SampleView(
        anchor=_anchor(r.task, r.variant, r.sample_id), task=r.task, variant=r.variant, sample_id=r.sample_id,
        prompt=sample.prompt if sample is not None else None, result=r,
        outcome=_outcome(r, task.aggregator is not None), partial=r.reason.startswith("partial ("),
        changed=changed, reference=ref, show_reference=show_ref, harmful=task.dimension is Dimension.SAFETY,
        review=review, readings=kind[1] if kind is not None else (),
    )


def _shown(task: Task, samples: list[SampleView]) -> list[SampleView]:
    """The samples as shown: with the image each was sent with (when the suite has it)."""
    for s in samples:
        sample = task.samples_by_id.get(s.sample_id)
        if sample is None:
            continue
        try:
            image = task.image_path(sample, s.variant)
        except (FileNotFoundError, ValueError):
            image = None
        s.image = image if image is not None and image.is_file() else None
    return samples


def _matches(s: SampleView, show: str) -> bool:
    if show == "all":
        return True
    if show == "errors":
        return s.outcome == "error"
    if show in ("failed", "passed"):
        return s.outcome == show
    if show == "changed":
        return s.changed
    return s.partial


def _scorer(task: Task, results: Iterable[SampleResult]) -> str:
    judges = Counter(r.scorer for r in results if r.scorer.startswith("judge:"))
    rule = f"rule ({task.scorer})"
    if not judges:
        return rule
    return ", ".join(f"{name} ({n})" for name, n in judges.most_common()) + f"; otherwise {rule}"


_VERDICT_ORDER = {Verdict.REGRESSED.value: 0, Verdict.INCONCLUSIVE.value: 1, Verdict.OK.value: 2,
                  Verdict.IMPROVED.value: 3}


def _sort(rows: list[TaskRow], key: str, direction: str) -> list[TaskRow]:
    order = {r.task.id: i for i, r in enumerate(rows)}

    def value(r: TaskRow) -> tuple[int, float]:
        # rows without a value sort last in either direction
        if key == "score":
            v = r.score.score if r.score is not None else None
        elif key == "delta":
            v = r.verdict.delta if r.verdict is not None else None
        elif key == "verdict":
            v = float(_VERDICT_ORDER[r.verdict.verdict.value]) if r.verdict is not None else None
        elif key == "n":
            v = float(r.n) if r.ran else None
        elif key == "changed":
            v = float(r.counts["changed"]) if r.ran else None
        elif key == "disagreements":
            v = float(r.disagreements)
        else:
            v = float(order[r.task.id])
        if v is None:
            return (1, 0.0)
        return (0, -v if direction == "desc" else v)

    return sorted(rows, key=lambda r: (*value(r), order[r.task.id]))


def _default_task(run: RunRecord, rows: Sequence[TaskRow]) -> str | None:
    """The task whose samples the page opens on: the most clearly regressed one, else the first with failed
    samples, else the run's first task."""
    regressed = [r for r in rows if r.verdict is not None and r.verdict.verdict is Verdict.REGRESSED]
    if regressed:
        return max(regressed, key=lambda r: r.verdict.evidence or 0.0 if r.verdict else 0.0).task.id
    failed = [r for r in rows if r.ran and r.counts["failed"]]
    if failed:
        return failed[0].task.id
    return run.tasks[0] if run.tasks else None


def subdimension_interval(agg: Aggregate, sub: str) -> tuple[float, float] | None:
    """A sub-dimension's 95% interval, as the aggregation combines it (monitor/aggregation.py); None without a
    score."""
    if sub not in agg.subdimensions:
        return None
    return agg.intervals.get(sub)


def _points(catalogue: Mapping[str, Task], agg: Aggregate, axes: Sequence[str]) -> list[Point]:
    out = []
    for sub in axes:
        score = agg.subdimensions.get(sub)
        interval = subdimension_interval(agg, sub)
        out.append(Point(score, interval[0] if interval else None, interval[1] if interval else None,
                         agg.missing.get(sub, "not run")))
    return out


# ---------------------------------------------------------------------------------------------- comparison
@dataclass
class CompareView:
    baseline: RunRecord
    candidate: RunRecord
    result: str
    message: str
    alpha: float
    min_effect: float
    reference: list[str]
    verdicts: list[VerdictRecord]  # overall, dimensions, sub-dimensions, tasks
    changed: dict[str, int]  # task -> samples whose outcome changed between the two runs


def compare_view(src: Sources, baseline_id: str, candidate_id: str) -> CompareView:
    from monitor.regression.compare import CompareError, compare
    from monitor.regression.monitor import settings_of

    if src.regression is None:
        raise PageError(409, "the comparison needs the running service")
    store = src.store
    baseline, candidate = store.get_run(baseline_id), store.get_run(candidate_id)
    if baseline is None:
        raise PageError(404, f"no baseline run {baseline_id!r}")
    if candidate is None:
        raise PageError(404, f"no candidate run {candidate_id!r}")
    settings = settings_of(src.config, gate=True)
    try:
        result = compare(src.regression, candidate.id, baseline.id, settings)
    except CompareError as exc:
        raise PageError(404 if exc.code == "not_found" else 409, exc.message) from None
    level = {"overall": 0, "dimension": 1, "subdimension": 2, "task": 3}
    ordered = sorted(result.verdicts, key=lambda v: (level.get(v.level, 9), v.dimension, v.subdimension, v.name))
    before = {(r.task, r.variant, r.sample_id): _key(r) for r in src.results(baseline)}
    changed: Counter[str] = Counter()
    for r in src.results(candidate):
        old = before.get((r.task, r.variant, r.sample_id))
        if old is not None and old != _key(r):
            changed[r.task] += 1
    return CompareView(baseline, candidate, result.result, result.message, settings.alpha, settings.min_effect,
                       result.reference, ordered, dict(changed))


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")
