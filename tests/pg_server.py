"""A throwaway PostgreSQL cluster for tests (initdb + pg_ctl from the Debian package `make system-deps` installs).

Under CI a missing server fails the test: CI must not pass by skipping the real database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_PASSWORD = "s3cret-pw"


def _pg_bindir() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in [os.environ.get("PG_BINDIR"), *versions]:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pg_cluster(max_connections: int = 100) -> Iterator[str]:
    """Start a cluster with user ``tm`` (password :data:`PG_PASSWORD`) and database ``trust_monitor``; yields its
    URL without the password; stops and removes it afterwards."""
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL server binaries (initdb/pg_ctl); `make test` installs apt package postgresql")
        pytest.skip("no PostgreSQL server binaries (initdb/pg_ctl); install e.g. apt package postgresql-15")
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb/postgres refuse to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        run_as = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="tm-pg-"))
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text(PG_PASSWORD + "\n")
    if run_as:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    port = _free_port()

    def pg(*args: str, timeout: float = 120) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=timeout)

    started = False
    try:
        pg(str(bindir / "initdb"), "-D", str(data), "-U", "tm", f"--pwfile={pwfile}", "--auth=scram-sha-256",
           "-E", "UTF8", "--no-sync")
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(root / "log"), "-o",
           f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections={max_connections}",
           "start")
        started = True
        admin = sa.create_engine(f"postgresql+psycopg2://tm:{PG_PASSWORD}@127.0.0.1:{port}/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE trust_monitor")
        admin.dispose()
        yield f"postgresql+psycopg2://tm@127.0.0.1:{port}/trust_monitor"
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"could not start a throwaway PostgreSQL: {exc.stderr.decode(errors='replace')}")
    finally:
        if started:
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def reset_pg(url: str) -> None:
    """Drop everything in the database's public schema."""
    engine = sa.create_engine(sa.make_url(url).set(password=PG_PASSWORD))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
