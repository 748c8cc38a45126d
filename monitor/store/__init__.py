"""The run store (SQLite or PostgreSQL, schema managed by Alembic). Only plain records go in and out."""

from monitor.store.records import (
    EventRecord,
    PruneReport,
    ReviewRecord,
    RunRecord,
    RunStatus,
    SampleResult,
    ScoredTask,
    TaskScoreRecord,
    Verdict,
    VerdictRecord,
    run_verdict,
)
from monitor.store.store import (
    Store,
    StoreBusyError,
    StoreError,
    StoreFullError,
    StoreSchemaError,
    head_revision,
)

__all__ = [
    "EventRecord",
    "PruneReport",
    "ReviewRecord",
    "RunRecord",
    "RunStatus",
    "SampleResult",
    "ScoredTask",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreFullError",
    "StoreSchemaError",
    "TaskScoreRecord",
    "Verdict",
    "VerdictRecord",
    "head_revision",
    "run_verdict",
]
