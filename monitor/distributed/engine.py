"""The task engine: a procrastinate App on the monitor's own PostgreSQL store (the only broker).

Job names, queues and locks are defined here; the job bodies live in :mod:`monitor.distributed.jobs`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import make_url

if TYPE_CHECKING:
    import procrastinate

    from monitor.config import Config

log = logging.getLogger(__name__)

RUNS_QUEUE = "trust-runs"  # starting runs, scheduled ticks, model checks, scoring: short jobs
SHARDS_QUEUE = "trust-shards"  # the probe requests of one shard each
QUEUES = (RUNS_QUEUE, SHARDS_QUEUE)

TICK = "trust.tick"
START = "trust.start_run"
SHARD = "trust.shard"
FINISH = "trust.finish_run"
CHECK_MODEL = "trust.check_model"

# taken while the engine's schema is created, so replicas starting together create it once
_SCHEMA_LOCK_KEY = 0x7472757374  # "trust"


def conninfo(url: str) -> str:
    """A libpq connection string from the store's SQLAlchemy URL, without any password (it goes in separately)."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    parts: dict[str, Any] = {"dbname": parsed.database or "postgres", "application_name": "trust-monitor"}
    if parsed.host:
        parts["host"] = parsed.host
    if parsed.port:
        parts["port"] = parsed.port
    if parsed.username:
        parts["user"] = parsed.username
    for key, value in parsed.query.items():  # e.g. sslmode=require
        parts[key] = value if isinstance(value, str) else value[-1]
    return str(make_conninfo(**parts))


def _secret(config: Config) -> dict[str, Any]:
    """The password as a connection argument (never in a connection string, a log line or an error)."""
    return {} if config.store.password is None else {"password": config.store.password.reveal()}


def create_app(config: Config, *, pool_size: int = 4) -> procrastinate.App:
    """An App (not yet opened) connected to the store's database."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(conninfo=conninfo(config.store.url), kwargs=_secret(config),
                                               min_size=1, max_size=pool_size)
    return procrastinate.App(connector=connector)


async def ensure_schema(config: Config) -> bool:
    """Create procrastinate's tables unless they exist, in one transaction under an advisory lock: replicas
    starting at once create them once. True when this call created them."""
    import psycopg
    from procrastinate.schema import SchemaManager

    async with await psycopg.AsyncConnection.connect(conninfo(config.store.url), **_secret(config)) as conn:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
            cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return False
            await conn.execute(SchemaManager.get_schema())
    log.info("created the task engine's tables (procrastinate) in the store's database")
    return True
