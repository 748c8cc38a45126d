"""Plain records passed in and out of the store (no SQLAlchemy objects leak out of monitor.store)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class RunStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every item was attempted; some may be errors
    FAILED = "failed"  # the run could not go on (e.g. the store or the suite broke)
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # stopped cleanly by a limit (e.g. the cost budget); the message says which
    DEGRADED = "degraded"  # every item was attempted, but too many failed: only reliable tasks are published
    INTERRUPTED = "interrupted"  # the service stopped while the run was queued or running

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


@dataclass
class RunRecord:
    id: str
    endpoint: str
    trigger: str  # "schedule" | "api" | "startup"
    status: RunStatus
    tasks: list[str]
    suite_version: str
    profile: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    model: str = ""
    model_version: str = ""
    model_fingerprint: str = ""
    total_items: int = 0
    done_items: int = 0
    error_items: int = 0
    message: str = ""  # why it failed / was cancelled; never secrets or prompts


@dataclass
class SampleResult:
    task: str
    variant: str
    sample_id: str
    answer: str | None  # None when the request failed
    score: float | None  # None when failed or unscorable
    error_kind: str | None  # an ErrorKind value, or None
    error_message: str = ""
    latency_s: float | None = None
    attempts: int = 1
    scorer: str = ""
    reason: str = ""
    tokens_in: int | None = None
    tokens_out: int | None = None
    # when a judge graded the sample (scorer "judge:<endpoint>"): the task's rule scorer's verdict, kept beside
    # the judge's; None otherwise
    rule_score: float | None = None
    rule_reason: str | None = None


@dataclass
class TaskScoreRecord:
    """A task's aggregate for one run; score is None when too few samples were scored."""

    task: str
    score: float | None
    ci_low: float | None
    ci_high: float | None
    n_scored: int
    n_errors: int
    n_unscorable: int
    variant_scores: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredTask:
    """A task's score as published: from the newest run that scored it reliably."""

    run_id: str
    finished_at: datetime | None
    score: TaskScoreRecord


@dataclass
class ReviewRecord:
    """A reviewer's verdict that the scorer got one sample of a run wrong (never replaces the scorer's verdict)."""

    run_id: str
    task: str
    variant: str
    sample_id: str
    label: str = ""  # the reviewer's reading of the answer (refused/complied/partial or yes/no/none), "" if none
    note: str = ""
    reviewer: str = ""
    scorer: str = ""  # the scorer that gave the score the reviewer disputes, and that score
    scorer_score: float | None = None
    created_at: datetime | None = None  # set by the store


@dataclass
class EventRecord:
    id: int
    at: datetime
    kind: str
    endpoint: str
    run_id: str | None
    detail: dict[str, object]


class Verdict(str, enum.Enum):
    REGRESSED = "regressed"
    OK = "ok"
    IMPROVED = "improved"
    INCONCLUSIVE = "inconclusive"  # too few paired scored samples: never a regression


@dataclass
class VerdictRecord:
    """A run's regression verdict on one group: a task, a sub-dimension, a dimension or the overall score."""

    level: str  # "task" | "subdimension" | "dimension" | "overall"
    name: str  # the task id, sub-dimension, dimension, or "overall"
    dimension: str
    subdimension: str
    task: str
    verdict: Verdict
    delta: float | None = None  # current minus reference on the paired samples (ratio; < 0 = a drop)
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None  # one-sided p-value of a drop, for the window shown
    adjusted_p: float | None = None  # Holm-adjusted over the run's tests, the strongest window
    evidence: float | None = None  # -log10(adjusted_p)
    n_paired: int = 0
    window: int = 0  # runs in the window shown
    reference: list[str] = field(default_factory=list)  # reference run ids
    method: str = ""  # "paired-exact" | "metric-bootstrap"
    reason: str = ""  # why inconclusive


def run_verdict(verdicts: list[VerdictRecord]) -> str:
    """One word for a run: regressed if any group regressed, else improved/ok, else inconclusive ("" if none)."""
    kinds = {v.verdict for v in verdicts}
    for kind in (Verdict.REGRESSED, Verdict.OK, Verdict.IMPROVED, Verdict.INCONCLUSIVE):
        if kind in kinds:
            return kind.value
    return ""


@dataclass(frozen=True)
class PruneReport:
    """What one retention pass removed (or, on a dry run, would remove) and what it kept on purpose."""

    runs: int = 0  # runs older than the limit whose per-sample rows were removed
    samples: int = 0  # sample_results rows removed
    events: int = 0  # events rows older than the limit removed
    reviewed_kept: int = 0  # samples of those runs kept because a reviewer gave a verdict on them
    runs_kept: int = 0  # runs older than the limit kept whole: a baseline, or in the regression reference
    seconds: float = 0.0
