"""SQLAlchemy 2 declarative tables of the store.

Private to monitor.store: nothing here is handed out of the package. The migrations in
``migrations/versions`` are the source of truth for the database; ``tests/monitor/store`` checks that
these models and the migrated schema agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints, so later migrations (batch mode on SQLite) can refer to them by name.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp kept in UTC and always returned timezone-aware (UTC).

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the UTC wall-clock time is stored.
    Naive datetimes handed in are taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetimes
            value = datetime.fromisoformat(str(value))
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(255))
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    tasks: Mapped[list[str]] = mapped_column(JSON)
    suite_version: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    model: Mapped[str] = mapped_column(Text, default="")
    model_version: Mapped[str] = mapped_column(Text, default="")
    model_fingerprint: Mapped[str] = mapped_column(Text, default="")
    total_items: Mapped[int] = mapped_column(Integer, default=0)
    done_items: Mapped[int] = mapped_column(Integer, default=0)
    error_items: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_runs_endpoint_created_at", "endpoint", "created_at"),
        Index("ix_runs_status", "status"),
    )


class SampleResultRow(Base):
    __tablename__ = "sample_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(255))
    sample_id: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    error_kind: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str] = mapped_column(Text, default="")
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    scorer: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    tokens_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # a judged sample: the rule scorer's verdict beside the judge's (None when no judge graded it)
    rule_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    rule_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("run_id", "task", "variant", "sample_id"),
        Index("ix_sample_results_run_id_task", "run_id", "task"),
    )


class TaskScoreRow(Base):
    __tablename__ = "task_scores"

    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    task: Mapped[str] = mapped_column(String(255), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    n_scored: Mapped[int] = mapped_column(Integer)
    n_errors: Mapped[int] = mapped_column(Integer)
    n_unscorable: Mapped[int] = mapped_column(Integer)
    variant_scores: Mapped[dict[str, float | None]] = mapped_column(JSON)


class BaselineRow(Base):
    __tablename__ = "baselines"

    endpoint: Mapped[str] = mapped_column(String(255), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """The event log; run_id is deliberately not a foreign key so events outlive pruned runs."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(255))
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_events_endpoint_id", "endpoint", "id"),)


class VerdictRow(Base):
    """A run's regression verdict on one group (task, sub-dimension, dimension or overall)."""

    __tablename__ = "verdicts"

    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(64))
    subdimension: Mapped[str] = mapped_column(String(64))
    task: Mapped[str] = mapped_column(String(255))
    verdict: Mapped[str] = mapped_column(String(16))
    delta: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    adjusted_p: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    n_paired: Mapped[int] = mapped_column(Integer)
    window: Mapped[int] = mapped_column(Integer)
    reference: Mapped[list[str]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_verdicts_verdict", "verdict"),)


class ReviewRow(Base):
    """A reviewer's verdict that the scorer got a sample wrong; the scorer's own verdict stays in sample_results."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(255))
    sample_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(16))  # the reviewer's reading of the answer ("" = not given)
    note: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(255))
    scorer: Mapped[str] = mapped_column(String(255))  # the scorer and its score when the verdict was given
    scorer_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("run_id", "task", "variant", "sample_id"),)


class RunShardRow(Base):
    """A range of a run's planned work items (mode: distributed); ``done_at`` is set once, by the worker that
    stored its last item."""

    __tablename__ = "run_shards"

    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    first: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str] = mapped_column(String(255), server_default="")
