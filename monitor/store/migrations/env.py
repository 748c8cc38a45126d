"""Alembic environment of the store.

Normally run by :class:`monitor.store.Store` itself, which hands over an open connection (already inside
a locked transaction) in ``config.attributes["connection"]``. With the alembic CLI
(``alembic -c monitor/store/migrations/alembic.ini -x url=... upgrade head``) a connection is made from
``-x url=`` or ``TRUST_MONITOR_DB_URL``; the password may come from ``TRUST_MONITOR_DB_PASSWORD``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import URL, make_url
from sqlalchemy.engine import Connection

from monitor.store.schema import Base
from monitor.store.store import WRITE_OPTION, make_engine

config = context.config
target_metadata = Base.metadata


def _cli_url() -> URL:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("TRUST_MONITOR_DB_URL")
    if not url:
        raise RuntimeError("give the database URL with -x url=... or TRUST_MONITOR_DB_URL")
    parsed = make_url(url)
    password = os.environ.get("TRUST_MONITOR_DB_PASSWORD")
    if password and parsed.get_backend_name() != "sqlite":
        parsed = parsed.set(password=password)
    return parsed


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER most things
        compare_type=True,
    )


def run_offline() -> None:
    context.configure(url=_cli_url(), target_metadata=target_metadata, literal_binds=True)
    # (offline mode only renders SQL; nothing connects)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_cli_url())  # the same pragmas and transaction handling as the service
    try:
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
