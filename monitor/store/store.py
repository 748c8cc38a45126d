"""The run store: runs, per-sample results, task scores, baselines and events (SQLite or PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    make_url,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, aliased

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
)
from monitor.store.schema import (
    BaselineRow,
    EventRow,
    ReviewRow,
    RunRow,
    RunShardRow,
    SampleResultRow,
    TaskScoreRow,
    UTCDateTime,
    VerdictRow,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_PG_MIGRATION_LOCK = 0x7472_7573_746D_6F6E  # pg_advisory_xact_lock key held while migrating ("trustmon")
FINISH_BUSY_RETRIES = 3  # finish_run waits out a held write lock this many more busy timeouts
WRITE_OPTION = "trust_monitor_write"  # execution option: this transaction will write (SQLite: BEGIN IMMEDIATE)


class StoreSchemaError(RuntimeError):
    """The database's schema revision is one this code doesn't know (written by a newer version?)."""


class StoreError(RuntimeError):
    """The database refused an operation for a reason outside this code: it is full, locked too long, or
    unreachable. The message says which, names the store (password hidden) and what to do; the transaction was
    rolled back, so everything committed before it is still there."""


class StoreFullError(StoreError):
    """The disk (or the database's size limit) is full: nothing more can be written until space is freed."""


class StoreBusyError(StoreError):
    """Another connection held the write lock for longer than the busy timeout."""


# SQLite result codes (primary code: the low byte of the extended one) and PostgreSQL SQLSTATEs
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_FULL = 5, 6, 13
_PG_FULL = {"53100", "53200", "53300"}  # disk_full, out_of_memory, too_many_connections: all "no room"
_PG_BUSY = {"55P03", "40P01"}  # lock_not_available, deadlock_detected


def store_error(exc: OperationalError, store: str) -> StoreError:
    """The clear error for an OperationalError of the driver: store full / store busy / store unavailable."""
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    pgcode = getattr(orig, "pgcode", None)
    detail = (str(orig).strip().splitlines() or ["no detail"])[0]
    lowered = detail.lower()
    if primary == _SQLITE_FULL or pgcode in _PG_FULL or "disk is full" in lowered or "no space" in lowered:
        return StoreFullError(
            f"store full: cannot write to {store} ({detail}); free disk space, or set store.retention to prune "
            "old per-sample rows (docs/store.md); everything stored before is kept")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or pgcode in _PG_BUSY or "locked" in lowered:
        return StoreBusyError(
            f"store busy: {store} stayed locked by another connection for more than "
            f"{SQLITE_BUSY_TIMEOUT_MS / 1000:g} s ({detail}); is another process writing to it (a second "
            "service, a long backup or sqlite3 shell)?")
    return StoreError(f"store unavailable: {store} ({detail})")


def _now() -> datetime:
    return datetime.now(UTC)


# The newest schema revision this code ships (tests/monitor/store/test_store.py checks it against the migrations): a
# store already at it opens without importing Alembic, about half a second of start-up.
HEAD_REVISION = "0005"


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this code ships, as the migrations say."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _json_dumps(value: Any) -> str:
    # Event details are free-form; anything JSON can't hold is kept as its str() rather than failing a write.
    return json.dumps(value, default=str)


def make_engine(url: URL) -> Engine:
    """An engine for the store: SQLite gets WAL, synchronous=NORMAL, foreign keys and busy_timeout on every
    connection, and real (IMMEDIATE for writes) transactions; other backends ping pooled connections."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent, so usually it already is). The switch needs an exclusive lock and
    SQLite reports "database is locked" at once, without the busy handler, while another connection holds
    one - which happens when several processes open a new file together - so retry for a while."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            mode = str(cursor.fetchone()[0]).lower()
            if mode != "wal":
                log.warning("SQLite refused WAL mode (journal_mode stays %s); is the file on a network share?", mode)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        json_serializer=_json_dumps,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so they queue on busy_timeout instead of failing
        # with SQLITE_BUSY when a read-then-write transaction finds its snapshot stale.
        # DDL is transactional too (the migration runs as one write transaction).
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


class Store:
    """Synchronous access to the run store; every method is one short transaction.

    Thread-safe in the sense that each call checks a connection out of the engine's pool; callers in
    asyncio should run calls in a worker thread (``asyncio.to_thread``) or accept the brief block.
    """

    def __init__(self, url: str, *, password: str | None = None) -> None:
        parsed: URL = make_url(url)
        if password is not None and parsed.get_backend_name() != "sqlite":
            parsed = parsed.set(password=password)
        self._safe_url = parsed.render_as_string(hide_password=True)
        self._engine = make_engine(parsed)
        self._upserts: dict[str, Any] = {}  # dialect -> the sample results' upsert statement
        try:
            self._upgrade()
        except OperationalError as exc:  # unreachable, refused, wrong password: in words, not a traceback
            self._engine.dispose()
            raise store_error(exc, self._safe_url) from exc
        except BaseException:
            self._engine.dispose()
            raise

    # ------------------------------------------------------------------ setup

    def _upgrade(self) -> None:
        """Bring the schema to head in one locked transaction; refuse revisions this code doesn't know."""
        if self._at_head():
            return
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        script = ScriptDirectory.from_config(_alembic_config())
        with self._engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
                current = MigrationContext.configure(conn).get_current_heads()
                for rev in current:
                    try:
                        known = script.get_revision(rev)
                    except CommandError:
                        known = None
                    if known is None:
                        newest = script.get_current_head()
                        raise StoreSchemaError(
                            f"the store at {self._safe_url} is at schema revision {rev!r}, which this "
                            f"version of trust-monitor does not know (newest known: {newest!r}); it was "
                            "probably written by a newer version - upgrade trust-monitor or use another "
                            "database"
                        )
                if tuple(current) != tuple(script.get_heads()):
                    log.info(
                        "upgrading store schema at %s from %s to %s",
                        self._safe_url,
                        ",".join(current) or "<empty>",
                        ",".join(script.get_heads()),
                    )
                    command.upgrade(_alembic_config(conn), "head")

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._safe_url!r})"

    def _at_head(self) -> bool:
        """Whether the schema is already at :data:`HEAD_REVISION` (read without Alembic)."""
        try:
            with self._engine.connect() as conn:
                return [r for (r,) in conn.exec_driver_sql("SELECT version_num FROM alembic_version")] == [
                    HEAD_REVISION]
        except DBAPIError:  # no version table yet (a new database): the migrations say what to do
            return False

    def schema_revision(self) -> str | None:
        """The database's current schema revision (head after a successful open)."""
        from alembic.runtime.migration import MigrationContext

        with self._engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Session]:
        try:
            with self._engine.connect() as conn:
                if write:
                    conn.execution_options(**{WRITE_OPTION: True})
                with Session(bind=conn, expire_on_commit=False, autoflush=True) as session, session.begin():
                    yield session
        except OperationalError as exc:  # full, locked, unreachable: rolled back; say so in words
            raise store_error(exc, self._safe_url) from exc

    # ------------------------------------------------------------------ runs

    def create_run(self, endpoint: str, trigger: str, tasks: list[str], suite_version: str, profile: str,
                   *, run_id: str | None = None) -> RunRecord:
        """A new QUEUED run. With ``run_id`` (32 hex digits, chosen by the caller: a scheduled tick's own id) a run
        already stored under it is returned as it is, so creating it twice creates it once."""
        if run_id is not None:
            existing = self.get_run(run_id)
            if existing is not None:
                return existing
        row = RunRow(
            id=run_id or uuid.uuid4().hex,
            endpoint=endpoint,
            trigger=trigger,
            status=RunStatus.QUEUED.value,
            tasks=list(tasks),
            suite_version=suite_version,
            profile=profile,
            created_at=_now(),
            started_at=None,
            finished_at=None,
            model="",
            model_version="",
            model_fingerprint="",
            total_items=0,
            done_items=0,
            error_items=0,
            message="",
        )
        with self._tx(write=True) as s:
            s.add(row)
            s.flush()
            return _run_record(row)

    def mark_running(
        self, run_id: str, *, model: str, model_version: str, model_fingerprint: str, total_items: int
    ) -> None:
        self._update_run(
            run_id,
            status=RunStatus.RUNNING.value,
            # a resumed run keeps its first start
            started_at=func.coalesce(RunRow.started_at, literal(_now(), UTCDateTime())),
            model=model,
            model_version=model_version,
            model_fingerprint=model_fingerprint,
            total_items=total_items,
        )

    def update_progress(self, run_id: str, done_items: int, error_items: int) -> None:
        self._update_run(run_id, done_items=done_items, error_items=error_items)

    def finish_run(self, run_id: str, status: RunStatus, message: str = "") -> RunRecord:
        status = RunStatus(status)
        if not status.finished:
            raise ValueError(f"finish_run needs a finished status, not {status.value!r}")
        # a run's final status is worth waiting for: a lock held past the busy timeout is waited out a few times
        for attempt in range(FINISH_BUSY_RETRIES + 1):
            try:
                with self._tx(write=True) as s:
                    row = s.get(RunRow, run_id)
                    if row is None:
                        raise KeyError(run_id)
                    row.status = status.value
                    row.message = message
                    row.finished_at = _now()
                    s.flush()
                    return _run_record(row)
            except StoreBusyError:
                if attempt == FINISH_BUSY_RETRIES:
                    raise
                log.warning("store busy while finishing run %s; trying again", run_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _update_run(self, run_id: str, **values: Any) -> None:
        with self._tx(write=True) as s:
            result = s.execute(update(RunRow).where(RunRow.id == run_id).values(**values))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise KeyError(run_id)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._tx(write=False) as s:
            row = s.get(RunRow, run_id)
            return None if row is None else _run_record(row)

    def list_runs(
        self, endpoint: str | None = None, limit: int = 50, statuses: list[RunStatus] | None = None,
        offset: int = 0, *, identified: bool = False,
    ) -> list[RunRecord]:
        """Newest first (by created_at); ``offset`` skips that many of the newest; ``identified``: only runs that
        recorded the model that answered them."""
        query = select(RunRow)
        if endpoint is not None:
            query = query.where(RunRow.endpoint == endpoint)
        if statuses is not None:
            query = query.where(RunRow.status.in_([RunStatus(st).value for st in statuses]))
        if identified:
            query = query.where(RunRow.model != "")
        query = query.order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(max(0, limit)).offset(max(0, offset))
        with self._tx(write=False) as s:
            return [_run_record(row) for row in s.scalars(query)]

    def endpoints(self) -> list[str]:
        """Every endpoint name that has a stored run, sorted."""
        with self._tx(write=False) as s:
            return sorted(s.scalars(select(RunRow.endpoint).distinct()))

    def count_runs(self, endpoint: str, *, suite_version: str | None = None, triggers: list[str] | None = None) -> int:
        """How many runs an endpoint has had (optionally of one suite version and some triggers)."""
        query = select(func.count()).select_from(RunRow).where(RunRow.endpoint == endpoint)
        if suite_version is not None:
            query = query.where(RunRow.suite_version == suite_version)
        if triggers is not None:
            query = query.where(RunRow.trigger.in_(triggers))
        with self._tx(write=False) as s:
            return int(s.scalar(query) or 0)

    def mark_interrupted(self) -> int:
        """At start-up: runs a crash left QUEUED or RUNNING become INTERRUPTED. Returns how many."""
        now = _now()
        count = 0
        with self._tx(write=True) as s:
            for status in (RunStatus.QUEUED, RunStatus.RUNNING):
                result = s.execute(
                    update(RunRow)
                    .where(RunRow.status == status.value)
                    .values(
                        status=RunStatus.INTERRUPTED.value,
                        finished_at=now,
                        message=f"interrupted: the service stopped while the run was {status.value}",
                    )
                )
                count += result.rowcount  # type: ignore[attr-defined]
        if count:
            log.warning("marked %d run(s) left queued/running by a previous process as interrupted", count)
        return count

    def resumable_runs(self, since: datetime) -> list[RunRecord]:
        """Interrupted runs created at or after ``since``, oldest first: what a restart may finish."""
        query = (select(RunRow).where(RunRow.status == RunStatus.INTERRUPTED.value, RunRow.created_at >= since)
                 .order_by(RunRow.created_at))
        with self._tx(write=False) as s:
            return [_run_record(row) for row in s.scalars(query)]

    def reopen_run(self, run_id: str, message: str) -> RunRecord:
        """An interrupted run goes back to QUEUED to be finished; its counters are recomputed from stored rows."""
        with self._tx(write=True) as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise KeyError(run_id)
            if row.status != RunStatus.INTERRUPTED.value:
                raise ValueError(f"run {run_id} is {row.status}, not interrupted")
            done, errors = self._counts(s, run_id)
            row.status, row.finished_at, row.message = RunStatus.QUEUED.value, None, message
            row.done_items, row.error_items = done, errors
            s.flush()
            return _run_record(row)

    @staticmethod
    def _counts(s: Session, run_id: str) -> tuple[int, int]:
        """(stored results, of which errors) of a run."""
        query = select(func.count(), func.count(SampleResultRow.error_kind)).where(SampleResultRow.run_id == run_id)
        done, errors = s.execute(query).one()
        return int(done), int(errors)

    def result_keys(self, run_id: str, tasks: Collection[str] | None = None) -> set[tuple[str, str, str]]:
        """(task, variant, sample_id) of every result stored for a run (only of ``tasks`` when given)."""
        query = select(SampleResultRow.task, SampleResultRow.variant, SampleResultRow.sample_id).where(
            SampleResultRow.run_id == run_id)
        if tasks is not None:
            query = query.where(SampleResultRow.task.in_(sorted(tasks)))
        with self._tx(write=False) as s:
            return {(t, v, i) for t, v, i in s.execute(query)}

    def run_events(self, run_id: str, kind: str) -> list[EventRecord]:
        """A run's events of one kind, oldest first."""
        query = select(EventRow).where(EventRow.run_id == run_id, EventRow.kind == kind).order_by(EventRow.id)
        with self._tx(write=False) as s:
            return [EventRecord(id=row.id, at=row.at, kind=row.kind, endpoint=row.endpoint, run_id=row.run_id,
                                detail=dict(row.detail or {})) for row in s.scalars(query)]

    # ------------------------------------------------------------------ sample results

    def add_results(self, run_id: str, results: list[SampleResult], *, progress: tuple[int, int] | None = None
                    ) -> None:
        """Store results in one transaction; a result with a (task, variant, sample_id) already stored for
        the run replaces it (within the batch, the last one wins). ``progress`` = (done, errors) is written to
        the run row in the same transaction, so its counters never run ahead of its stored rows."""
        if not results:
            return
        values = _result_values(run_id, results)
        with self._tx(write=True) as s:
            conn = s.connection()  # Core statements: the ORM's per-call work is most of a small batch's cost
            run = update(RunRow).where(RunRow.id == run_id)
            if progress is not None:
                run = run.values(done_items=progress[0], error_items=progress[1])
            else:
                run = run.values(id=RunRow.id)  # touches nothing; says whether the run exists
            if conn.execute(run).rowcount == 0:
                raise KeyError(run_id)
            self._upsert_results(conn, values)

    def add_shard_results(self, run_id: str, results: list[SampleResult]) -> RunStatus:
        """Results of one shard of a run that several workers write at once (mode: distributed): the run row is
        locked first, then the results stored and its counters recounted from the stored rows, all in one
        transaction, so the counters are exact whatever commits beside it. Returns the run's status: a run found
        finished (cancelled) tells the shard to stop."""
        values = _result_values(run_id, results)
        with self._tx(write=True) as s:
            conn = s.connection()
            status = conn.execute(select(RunRow.status).where(RunRow.id == run_id).with_for_update()).scalar()
            if status is None:
                raise KeyError(run_id)
            if values:
                self._upsert_results(conn, values)
                done, errors = self._counts(s, run_id)
                conn.execute(update(RunRow).where(RunRow.id == run_id).values(done_items=done, error_items=errors))
            return RunStatus(status)

    def _upsert_results(self, conn: Connection, values: list[dict[str, Any]]) -> None:
        dialect = conn.dialect.name
        if dialect in ("sqlite", "postgresql"):
            conn.execute(self._result_upsert(dialect), values)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            for v in values:
                conn.execute(delete(SampleResultRow).where(*(getattr(SampleResultRow, k) == v[k]
                                                             for k in _RESULT_KEY)))
            conn.execute(insert(SampleResultRow), values)

    # ------------------------------------------------------------------ shards (mode: distributed)

    def add_shards(self, run_id: str, ranges: list[tuple[int, int]]) -> None:
        """The run's shards as (first item, item count), numbered from 0; shards already stored stay as they are."""
        with self._tx(write=True) as s:
            have = set(s.scalars(select(RunShardRow.shard).where(RunShardRow.run_id == run_id)))
            s.add_all(RunShardRow(run_id=run_id, shard=n, first=first, count=count, done_at=None, worker="")
                      for n, (first, count) in enumerate(ranges) if n not in have)

    def shards(self, run_id: str) -> list[tuple[int, int, int, bool]]:
        """(shard, first item, item count, done) of each of the run's shards, in order."""
        query = select(RunShardRow.shard, RunShardRow.first, RunShardRow.count, RunShardRow.done_at).where(
            RunShardRow.run_id == run_id).order_by(RunShardRow.shard)
        with self._tx(write=False) as s:
            return [(n, first, count, done is not None) for n, first, count, done in s.execute(query)]

    def shard_taken(self, run_id: str, shard: int, worker: str) -> None:
        """Say which worker process executes a shard now (until done: ``worker`` is the last to take it)."""
        with self._tx(write=True) as s:
            s.execute(update(RunShardRow).where(RunShardRow.run_id == run_id, RunShardRow.shard == shard,
                                                RunShardRow.done_at.is_(None)).values(worker=worker[:255]))

    def shard_done(self, run_id: str, shard: int, worker: str) -> tuple[bool, int]:
        """Mark a shard done: (whether this call marked it, shards of the run still not done). The run row is
        locked first, so of two shards finishing at once exactly one sees none left."""
        with self._tx(write=True) as s:
            conn = s.connection()
            if conn.execute(select(RunRow.id).where(RunRow.id == run_id).with_for_update()).scalar() is None:
                raise KeyError(run_id)
            marked = conn.execute(update(RunShardRow).where(
                RunShardRow.run_id == run_id, RunShardRow.shard == shard, RunShardRow.done_at.is_(None)
            ).values(done_at=_now(), worker=worker[:255])).rowcount
            left = conn.execute(select(func.count()).select_from(RunShardRow).where(
                RunShardRow.run_id == run_id, RunShardRow.done_at.is_(None))).scalar()
            return bool(marked), int(left or 0)

    def finish_run_once(self, run_id: str, status: RunStatus, message: str = "") -> RunRecord | None:
        """Finish a run unless it has finished already (a cancel and the last shard may race): the finished
        record, or None when another process finished it first. Its counters are recounted from the stored rows."""
        status = RunStatus(status)
        if not status.finished:
            raise ValueError(f"finish_run_once needs a finished status, not {status.value!r}")
        unfinished = [st.value for st in RunStatus if not st.finished]
        with self._tx(write=True) as s:
            done, errors = self._counts(s, run_id)
            result = s.execute(update(RunRow).where(RunRow.id == run_id, RunRow.status.in_(unfinished)).values(
                status=status.value, message=message, finished_at=_now(), done_items=done, error_items=errors))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                return None
            row = s.get(RunRow, run_id)
            assert row is not None
            s.refresh(row)
            return _run_record(row)

    def runs_changed_since(self, since: datetime) -> list[RunRecord]:
        """Runs queued or running now, and runs finished at or after ``since``: what API replicas follow."""
        unfinished = [st.value for st in RunStatus if not st.finished]
        query = select(RunRow).where(RunRow.status.in_(unfinished) | (RunRow.finished_at >= since)).order_by(
            RunRow.created_at)
        with self._tx(write=False) as s:
            return [_run_record(row) for row in s.scalars(query)]

    def _result_upsert(self, dialect: str) -> Any:
        """INSERT … ON CONFLICT (run, task, variant, sample) DO UPDATE, built once: a result stored again replaces
        the earlier one."""
        stmt = self._upserts.get(dialect)
        if stmt is None:
            upsert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(SampleResultRow)
            stmt = upsert.on_conflict_do_update(
                index_elements=list(_RESULT_KEY),
                set_={k: upsert.excluded[k] for k in _RESULT_FIELDS if k not in _RESULT_KEY},
            )
            self._upserts[dialect] = stmt
        return stmt

    def results(self, run_id: str, task: str | None = None) -> list[SampleResult]:
        """A run's results in the order they were first stored."""
        # plain column rows, not ORM objects: a full suite run is thousands of rows
        query = select(*(getattr(SampleResultRow, f) for f in _RESULT_FIELDS)).where(SampleResultRow.run_id == run_id)
        if task is not None:
            query = query.where(SampleResultRow.task == task)
        with self._tx(write=False) as s:
            return [SampleResult(*row) for row in s.execute(query.order_by(SampleResultRow.id))]

    # ------------------------------------------------------------------ task scores

    def save_task_scores(self, run_id: str, scores: list[TaskScoreRecord]) -> None:
        """Replace the run's task scores with these."""
        with self._tx(write=True) as s:
            if s.get(RunRow, run_id) is None:
                raise KeyError(run_id)
            s.execute(delete(TaskScoreRow).where(TaskScoreRow.run_id == run_id))
            by_task = {sc.task: sc for sc in scores}  # one row per task; the last one wins
            s.add_all(
                TaskScoreRow(
                    run_id=run_id,
                    task=sc.task,
                    score=sc.score,
                    ci_low=sc.ci_low,
                    ci_high=sc.ci_high,
                    n_scored=sc.n_scored,
                    n_errors=sc.n_errors,
                    n_unscorable=sc.n_unscorable,
                    variant_scores=dict(sc.variant_scores),
                )
                for sc in by_task.values()
            )

    def task_scores(self, run_id: str) -> list[TaskScoreRecord]:
        """Sorted by task."""
        query = select(TaskScoreRow).where(TaskScoreRow.run_id == run_id).order_by(TaskScoreRow.task)
        with self._tx(write=False) as s:
            return [_task_score(row) for row in s.scalars(query)]

    def task_scores_of_runs(self, run_ids: list[str]) -> dict[str, list[TaskScoreRecord]]:
        """Each run's task scores, sorted by task."""
        out: dict[str, list[TaskScoreRecord]] = {r: [] for r in run_ids}
        if not run_ids:
            return out
        query = select(TaskScoreRow).where(TaskScoreRow.run_id.in_(run_ids)).order_by(TaskScoreRow.task)
        with self._tx(write=False) as s:
            for row in s.scalars(query):
                out[row.run_id].append(_task_score(row))
        return out

    def latest_scored_run(self, endpoint: str) -> RunRecord | None:
        """The newest (by created_at) SUCCEEDED run of the endpoint that has task scores."""
        query = (
            select(RunRow)
            .where(
                RunRow.endpoint == endpoint,
                RunRow.status == RunStatus.SUCCEEDED.value,
                exists().where(TaskScoreRow.run_id == RunRow.id),
            )
            .order_by(RunRow.created_at.desc(), RunRow.id.desc())
            .limit(1)
        )
        with self._tx(write=False) as s:
            row = s.scalars(query).first()
            return None if row is None else _run_record(row)

    def latest_task_scores(self, endpoint: str, statuses: list[RunStatus], max_error_share: float = 1.0,
                           wanted: Collection[str] | None = None) -> dict[str, ScoredTask]:
        """Per task, the newest run (of these statuses) that gave it a score measured reliably: at most
        ``max_error_share`` of the task's requests failed. With ``wanted`` (the tasks the caller cares for), runs
        are read newest first, in pages of 1, 4, 16, … runs, until each wanted task is found, instead of all of them
        at once: the newest run usually scored every task, so a store of thousands of runs is read in a millisecond
        or two. Only wanted tasks are returned then."""
        attempted = TaskScoreRow.n_scored + TaskScoreRow.n_errors + TaskScoreRow.n_unscorable
        runs = RunRow.endpoint == endpoint, RunRow.status.in_([RunStatus(st).value for st in statuses])
        reliable = TaskScoreRow.score.is_not(None), TaskScoreRow.n_errors <= max_error_share * attempted
        newest_first = (RunRow.created_at.desc(), RunRow.id.desc())
        out: dict[str, ScoredTask] = {}
        with self._tx(write=False) as s:
            if wanted is not None:
                missing, offset, size = set(wanted), 0, 1
                while missing:  # pages of 1, 4, 16, … runs
                    page = s.execute(select(RunRow.id, RunRow.finished_at).where(*runs).order_by(*newest_first)
                                     .limit(size).offset(offset)).all()
                    rank = {run_id: i for i, (run_id, _) in enumerate(page)}
                    finished = dict(page)
                    rows = s.scalars(select(TaskScoreRow).where(TaskScoreRow.run_id.in_(rank), *reliable))
                    for row in sorted(rows, key=lambda r: rank[r.run_id]):
                        if row.task not in out:
                            out[row.task] = ScoredTask(row.run_id, finished[row.run_id], _task_score(row))
                            missing.discard(row.task)
                    if len(page) < size:
                        break
                    offset, size = offset + size, size * 4
                return {t: v for t, v in out.items() if t in wanted}
            ranked = (
                select(TaskScoreRow, RunRow.finished_at.label("finished_at"),
                       func.row_number().over(partition_by=TaskScoreRow.task, order_by=newest_first).label("rank"))
                .join(RunRow, RunRow.id == TaskScoreRow.run_id)
                .where(*runs, *reliable)
                .subquery()
            )
            score = aliased(TaskScoreRow, ranked)
            for row, finished_at in s.execute(select(score, ranked.c.finished_at).where(ranked.c.rank == 1)):
                out[row.task] = ScoredTask(row.run_id, finished_at, _task_score(row))
        return out

    # ------------------------------------------------------------------ verdicts

    def save_verdicts(self, run_id: str, verdicts: list[VerdictRecord]) -> None:
        """Replace the run's regression verdicts with these."""
        with self._tx(write=True) as s:
            if s.get(RunRow, run_id) is None:
                raise KeyError(run_id)
            s.execute(delete(VerdictRow).where(VerdictRow.run_id == run_id))
            s.add_all(VerdictRow(run_id=run_id, level=v.level, name=v.name, dimension=v.dimension,
                                 subdimension=v.subdimension, task=v.task, verdict=Verdict(v.verdict).value,
                                 delta=v.delta, ci_low=v.ci_low, ci_high=v.ci_high, p_value=v.p_value,
                                 adjusted_p=v.adjusted_p, evidence=v.evidence, n_paired=v.n_paired, window=v.window,
                                 reference=list(v.reference), method=v.method, reason=v.reason)
                      for v in {(v.level, v.name): v for v in verdicts}.values())

    def verdicts(self, run_id: str) -> list[VerdictRecord]:
        query = select(VerdictRow).where(VerdictRow.run_id == run_id).order_by(VerdictRow.level, VerdictRow.name)
        with self._tx(write=False) as s:
            return [_verdict(row) for row in s.scalars(query)]

    def verdicts_of_runs(self, run_ids: list[str]) -> dict[str, list[VerdictRecord]]:
        out: dict[str, list[VerdictRecord]] = {r: [] for r in run_ids}
        if not run_ids:
            return out
        query = select(VerdictRow).where(VerdictRow.run_id.in_(run_ids))
        with self._tx(write=False) as s:
            for row in s.scalars(query):
                out[row.run_id].append(_verdict(row))
        return out

    def latest_verdicts(self, endpoint: str) -> dict[tuple[str, str], tuple[str, VerdictRecord]]:
        """Per (level, name), the verdict of the newest run of the endpoint that has one, with that run's id."""
        ranked = (
            select(
                VerdictRow,
                func.row_number().over(partition_by=(VerdictRow.level, VerdictRow.name),
                                       order_by=(RunRow.created_at.desc(), RunRow.id.desc())).label("rank"),
            )
            .join(RunRow, RunRow.id == VerdictRow.run_id)
            .where(RunRow.endpoint == endpoint)
            .subquery()
        )
        verdict = aliased(VerdictRow, ranked)
        with self._tx(write=False) as s:
            return {(row.level, row.name): (row.run_id, _verdict(row))
                    for row in s.scalars(select(verdict).where(ranked.c.rank == 1))}

    def run_history(self, endpoint: str, *, suite_version: str, profile: str, statuses: list[RunStatus],
                    before: RunRecord | None = None, limit: int = 100) -> list[tuple[RunRecord, bool]]:
        """The endpoint's newest runs of one suite version and profile with these statuses (up to and including
        ``before`` when given), newest first, each with whether a regression was found in it."""
        flagged = exists().where(VerdictRow.run_id == RunRow.id, VerdictRow.verdict == Verdict.REGRESSED.value)
        query = select(RunRow, flagged).where(
            RunRow.endpoint == endpoint,
            RunRow.suite_version == suite_version,
            RunRow.profile == profile,
            RunRow.status.in_([RunStatus(st).value for st in statuses]),
        )
        if before is not None:
            query = query.where((RunRow.created_at < before.created_at) | (RunRow.id == before.id))
        query = query.order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(max(0, limit))
        with self._tx(write=False) as s:
            return [(_run_record(row), bool(flag)) for row, flag in s.execute(query)]

    def scores_of_runs(self, run_ids: list[str]) -> dict[str, list[tuple[str, str, str, float | None]]]:
        """(task, variant, sample_id, score) of every stored result of these runs."""
        out: dict[str, list[tuple[str, str, str, float | None]]] = {r: [] for r in run_ids}
        if not run_ids:
            return out
        query = select(SampleResultRow.run_id, SampleResultRow.task, SampleResultRow.variant,
                       SampleResultRow.sample_id, SampleResultRow.score).where(SampleResultRow.run_id.in_(run_ids))
        with self._tx(write=False) as s:
            for run_id, task, variant, sample_id, score in s.execute(query):
                out[run_id].append((task, variant, sample_id, score))
        return out

    # ------------------------------------------------------------------ reviewer verdicts

    def save_review(self, review: ReviewRecord) -> ReviewRecord:
        """Store a reviewer's verdict on one sample of a run; one per sample: a second one replaces the first.

        Raises KeyError if the run or the sample's result doesn't exist. The sample's result is left as it is.
        """
        keys = (SampleResultRow.run_id == review.run_id, SampleResultRow.task == review.task,
                SampleResultRow.variant == review.variant, SampleResultRow.sample_id == review.sample_id)
        with self._tx(write=True) as s:
            if s.scalar(select(SampleResultRow.id).where(*keys)) is None:
                raise KeyError(f"{review.run_id}/{review.task}/{review.variant}/{review.sample_id}")
            row = s.scalars(select(ReviewRow).where(
                ReviewRow.run_id == review.run_id, ReviewRow.task == review.task,
                ReviewRow.variant == review.variant, ReviewRow.sample_id == review.sample_id)).first()
            if row is None:
                row = ReviewRow(run_id=review.run_id, task=review.task, variant=review.variant,
                                sample_id=review.sample_id)
                s.add(row)
            row.label, row.note, row.reviewer = review.label, review.note, review.reviewer
            row.scorer, row.scorer_score, row.created_at = review.scorer, review.scorer_score, _now()
            s.flush()
            return _review(row)

    def delete_review(self, run_id: str, task: str, variant: str, sample_id: str) -> bool:
        """Withdraw a reviewer's verdict; False if there was none."""
        with self._tx(write=True) as s:
            result = s.execute(delete(ReviewRow).where(
                ReviewRow.run_id == run_id, ReviewRow.task == task, ReviewRow.variant == variant,
                ReviewRow.sample_id == sample_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def reviews(self, run_id: str) -> list[ReviewRecord]:
        """A run's reviewer verdicts, oldest first."""
        query = select(ReviewRow).where(ReviewRow.run_id == run_id).order_by(ReviewRow.created_at, ReviewRow.id)
        with self._tx(write=False) as s:
            return [_review(row) for row in s.scalars(query)]

    def reviewed_results(self) -> list[tuple[ReviewRecord, SampleResult]]:
        """Every reviewer verdict with the result it is about (oldest first), for exporting labelled answers."""
        query = (
            select(ReviewRow, SampleResultRow)
            .join(SampleResultRow, (SampleResultRow.run_id == ReviewRow.run_id)
                  & (SampleResultRow.task == ReviewRow.task) & (SampleResultRow.variant == ReviewRow.variant)
                  & (SampleResultRow.sample_id == ReviewRow.sample_id))
            .order_by(ReviewRow.created_at, ReviewRow.id)
        )
        with self._tx(write=False) as s:
            return [(_review(review), _sample_result(result)) for review, result in s.execute(query)]

    # ------------------------------------------------------------------ baselines

    def set_baseline(self, endpoint: str, run_id: str) -> None:
        """Make the run the endpoint's baseline.

        Raises KeyError if the run doesn't exist, ValueError if it is another endpoint's or not SUCCEEDED.
        """
        with self._tx(write=True) as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise KeyError(run_id)
            if run.endpoint != endpoint:
                raise ValueError(f"run {run_id} belongs to endpoint {run.endpoint!r}, not {endpoint!r}")
            if run.status != RunStatus.SUCCEEDED.value:
                raise ValueError(f"run {run_id} is {run.status}; only a succeeded run can be a baseline")
            row = s.get(BaselineRow, endpoint)
            if row is None:
                s.add(BaselineRow(endpoint=endpoint, run_id=run_id, set_at=_now()))
            else:
                row.run_id = run_id
                row.set_at = _now()

    def get_baseline(self, endpoint: str) -> str | None:
        with self._tx(write=False) as s:
            row = s.get(BaselineRow, endpoint)
            return None if row is None else row.run_id

    # ------------------------------------------------------------------ events

    def add_event(self, kind: str, endpoint: str, run_id: str | None, detail: dict[str, object]) -> None:
        with self._tx(write=True) as s:
            s.add(EventRow(at=_now(), kind=kind, endpoint=endpoint, run_id=run_id, detail=dict(detail)))

    def events(self, endpoint: str | None = None, limit: int = 100) -> list[EventRecord]:
        """Newest first."""
        query = select(EventRow)
        if endpoint is not None:
            query = query.where(EventRow.endpoint == endpoint)
        query = query.order_by(EventRow.id.desc()).limit(max(0, limit))
        with self._tx(write=False) as s:
            return [
                EventRecord(
                    id=row.id,
                    at=row.at,
                    kind=row.kind,
                    endpoint=row.endpoint,
                    run_id=row.run_id,
                    detail=dict(row.detail or {}),
                )
                for row in s.scalars(query)
            ]


    # ------------------------------------------------------------------ retention

    def prune(
        self,
        before: datetime,
        *,
        keep_newest: int = 0,
        keep_statuses: Sequence[RunStatus] = (),
        batch_size: int = 500,
        pause_s: float = 0.0,
        dry_run: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> PruneReport:
        """Remove the per-sample rows of finished runs created before ``before``, and events older than it.

        Kept: every run row, task score, verdict and baseline; the samples of each endpoint's baseline run; the
        samples a reviewer gave a verdict on; and, per (endpoint, suite version, profile), the samples of the
        ``keep_newest`` newest runs with one of ``keep_statuses`` (the runs regression detection reads as
        windows and references). Rows go in transactions of at most ``batch_size``, with ``pause_s`` between
        them so other writers get the lock; ``dry_run`` counts what would go and removes nothing. A pass stops
        between two batches once ``should_stop()`` is true (what it removed so far is reported).
        """
        stopping = should_stop or (lambda: False)
        t0 = time.monotonic()
        before = before.astimezone(UTC) if before.tzinfo is not None else before.replace(tzinfo=UTC)
        batch_size = max(1, batch_size)
        reviewed = exists().where(
            ReviewRow.run_id == SampleResultRow.run_id, ReviewRow.task == SampleResultRow.task,
            ReviewRow.variant == SampleResultRow.variant, ReviewRow.sample_id == SampleResultRow.sample_id)
        old = (RunRow.created_at < before) & RunRow.status.in_([s.value for s in RunStatus if s.finished])
        protected = [select(BaselineRow.run_id)]
        if keep_newest > 0 and keep_statuses:
            ranked = (
                select(RunRow.id.label("id"), func.row_number().over(
                    partition_by=(RunRow.endpoint, RunRow.suite_version, RunRow.profile),
                    order_by=(RunRow.created_at.desc(), RunRow.id.desc())).label("rank"))
                .where(RunRow.status.in_([RunStatus(st).value for st in keep_statuses]))
                .subquery()
            )
            protected.append(select(ranked.c.id).where(ranked.c.rank <= keep_newest))
        kept_ids = union(*protected).subquery()
        has_samples = exists().where(SampleResultRow.run_id == RunRow.id)
        with self._tx(write=False) as s:
            runs_kept = int(s.scalar(select(func.count()).select_from(RunRow).where(
                old, RunRow.id.in_(select(kept_ids.c[0])), has_samples)) or 0)
            candidates = list(s.scalars(
                select(RunRow.id).where(old, RunRow.id.not_in(select(kept_ids.c[0])), has_samples)
                .order_by(RunRow.created_at, RunRow.id)))
        runs = samples = reviewed_kept = events = 0
        for run_id in candidates:
            if stopping():
                break
            removed = 0
            with self._tx(write=False) as s:
                reviewed_kept += int(s.scalar(select(func.count()).select_from(ReviewRow)
                                              .where(ReviewRow.run_id == run_id)) or 0)
                if dry_run:
                    removed = int(s.scalar(select(func.count()).select_from(SampleResultRow)
                                           .where(SampleResultRow.run_id == run_id, ~reviewed)) or 0)
            if not dry_run:
                removed = self._delete_in_batches(
                    SampleResultRow, select(SampleResultRow.id).where(SampleResultRow.run_id == run_id, ~reviewed),
                    batch_size, pause_s, stopping)
            runs += removed > 0
            samples += removed
        if dry_run:
            with self._tx(write=False) as s:
                events = int(s.scalar(select(func.count()).select_from(EventRow).where(EventRow.at < before)) or 0)
        else:
            events = self._delete_in_batches(EventRow, select(EventRow.id).where(EventRow.at < before)
                                             .order_by(EventRow.id), batch_size, pause_s, stopping)
        return PruneReport(runs=runs, samples=samples, events=events, reviewed_kept=reviewed_kept,
                           runs_kept=runs_kept, seconds=time.monotonic() - t0)

    def _delete_in_batches(self, table: Any, ids: Select[Any], batch_size: int, pause_s: float,
                           stopping: Callable[[], bool]) -> int:
        """Delete the rows of ``table`` whose ids ``ids`` selects, ``batch_size`` per transaction with ``pause_s``
        between them (other writers get the lock), until none is left or ``stopping()``; returns how many."""
        removed = 0
        while True:
            with self._tx(write=True) as s:
                batch = list(s.scalars(ids.limit(batch_size)))
                if batch:
                    s.execute(delete(table).where(table.id.in_(batch)))
            removed += len(batch)
            if len(batch) < batch_size or stopping():
                return removed
            if pause_s:
                time.sleep(pause_s)


# ---------------------------------------------------------------------- row -> record


def _result_values(run_id: str, results: list[SampleResult]) -> list[dict[str, Any]]:
    """Rows of ``results`` for the run; of two with one (task, variant, sample_id), the last wins."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in results:
        rows[(r.task, r.variant, r.sample_id)] = {
            "run_id": run_id, "task": r.task, "variant": r.variant, "sample_id": r.sample_id, "answer": r.answer,
            "score": r.score, "error_kind": r.error_kind, "error_message": r.error_message,
            "latency_s": r.latency_s, "attempts": r.attempts, "scorer": r.scorer, "reason": r.reason,
            "tokens_in": r.tokens_in, "tokens_out": r.tokens_out, "rule_score": r.rule_score,
            "rule_reason": r.rule_reason,
        }
    return list(rows.values())


def _run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        endpoint=row.endpoint,
        trigger=row.trigger,
        status=RunStatus(row.status),
        tasks=list(row.tasks or []),
        suite_version=row.suite_version,
        profile=row.profile,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        model=row.model,
        model_version=row.model_version,
        model_fingerprint=row.model_fingerprint,
        total_items=row.total_items,
        done_items=row.done_items,
        error_items=row.error_items,
        message=row.message,
    )


# SampleResult's fields in its order: the columns ``results`` selects
_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(SampleResult))
_RESULT_KEY = ("run_id", "task", "variant", "sample_id")  # unique per stored result


def _sample_result(row: SampleResultRow) -> SampleResult:
    return SampleResult(
        task=row.task,
        variant=row.variant,
        sample_id=row.sample_id,
        answer=row.answer,
        score=row.score,
        error_kind=row.error_kind,
        error_message=row.error_message,
        latency_s=row.latency_s,
        attempts=row.attempts,
        scorer=row.scorer,
        reason=row.reason,
        tokens_in=row.tokens_in,
        tokens_out=row.tokens_out,
        rule_score=row.rule_score,
        rule_reason=row.rule_reason,
    )


def _verdict(row: VerdictRow) -> VerdictRecord:
    return VerdictRecord(
        level=row.level, name=row.name, dimension=row.dimension, subdimension=row.subdimension, task=row.task,
        verdict=Verdict(row.verdict), delta=row.delta, ci_low=row.ci_low, ci_high=row.ci_high, p_value=row.p_value,
        adjusted_p=row.adjusted_p, evidence=row.evidence, n_paired=row.n_paired, window=row.window,
        reference=list(row.reference or []), method=row.method, reason=row.reason,
    )


def _review(row: ReviewRow) -> ReviewRecord:
    return ReviewRecord(
        run_id=row.run_id, task=row.task, variant=row.variant, sample_id=row.sample_id, label=row.label,
        note=row.note, reviewer=row.reviewer, scorer=row.scorer, scorer_score=row.scorer_score,
        created_at=row.created_at,
    )


def _task_score(row: TaskScoreRow) -> TaskScoreRecord:
    return TaskScoreRecord(
        task=row.task,
        score=row.score,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        n_scored=row.n_scored,
        n_errors=row.n_errors,
        n_unscorable=row.n_unscorable,
        variant_scores=dict(row.variant_scores or {}),
    )
