"""The run store (SQLite or PostgreSQL, schema managed by Alembic). Only plain records go in and out."""

from monitor.store.records import EventRecord, RunRecord, RunStatus, SampleResult, TaskScoreRecord
from monitor.store.store import Store, StoreSchemaError, head_revision

__all__ = [
    "EventRecord",
    "RunRecord",
    "RunStatus",
    "SampleResult",
    "Store",
    "StoreSchemaError",
    "TaskScoreRecord",
    "head_revision",
]
