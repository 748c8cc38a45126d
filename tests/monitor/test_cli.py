"""The command line run for real (subprocesses, real pipes, a real server on loopback over a real SQLite store):
-v logs the monitor's own debug lines only, and a reader that closes stdout early ends a command quietly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.cli import EXIT_PIPE_CLOSED
from monitor.config import Config
from monitor.service import Service
from monitor.store import RunStatus, Store
from probes.catalogue import suite_version

ROOT = Path(__file__).resolve().parent.parent.parent
CLI = [sys.executable, "-m", "monitor.cli"]
RUNS = 40  # with a 6 KB message each, `runs list --json` prints ~250 KB: more than a pipe holds (64 KB)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _closed_stdout(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with stdout a pipe whose reader is already gone (the end state of ``cmd | head``)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([*CLI, *args], stdout=write, stderr=subprocess.PIPE, cwd=ROOT, timeout=timeout,
                              check=False)
    finally:
        os.close(write)


def _into_head(args: list[str], timeout: float = 60) -> tuple[int, bytes, bytes]:
    """``trust-monitor ARGS | head -c 100``: (the CLI's exit status, its stderr, what head printed)."""
    cli = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    head = subprocess.Popen(["head", "-c", "100"], stdin=cli.stdout, stdout=subprocess.PIPE)
    assert cli.stdout is not None and cli.stderr is not None
    cli.stdout.close()  # head alone reads it now
    shown, _ = head.communicate(timeout=timeout)
    err = cli.stderr.read()
    cli.stderr.close()
    return cli.wait(timeout=timeout), err, shown


def _quiet(err: bytes) -> None:
    text = err.decode(errors="replace")
    assert "Traceback" not in text and "BrokenPipeError" not in text and "Exception ignored" not in text, text


# -- -v and -vv ---------------------------------------------------------------------------------------------
LOGGING_SCRIPT = textwrap.dedent("""
    import io, logging, sys
    from monitor.cli import main
    rc = main([*sys.argv[2:], "config", "check", sys.argv[1]])
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    Image.open(io.BytesIO(buf.getvalue())).load()  # PIL logs its chunk-by-chunk DEBUG lines here
    logging.getLogger("monitor.runner").debug("own debug line")
    logging.getLogger("probes.scorers").debug("own probes line")
    logging.getLogger("sqlalchemy.engine").info("third-party info line")
    sys.exit(rc)
""")


@pytest.mark.parametrize(("flags", "own", "third_party_debug"), [
    ([], False, False),
    (["-v"], True, False),
    (["--verbose"], True, False),
    (["-vv"], True, True),
    (["--debug-all"], True, True),
])
def test_verbose_is_for_the_monitors_own_loggers(tmp_path: Path, flags: list[str], own: bool,
                                                 third_party_debug: bool) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("endpoints:\n  - {name: a, kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m}\n")
    proc = subprocess.run([sys.executable, "-c", LOGGING_SCRIPT, str(config), *flags], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"
    lines = proc.stderr.splitlines()
    assert ("DEBUG monitor.runner: own debug line" in proc.stderr) is own
    assert ("DEBUG probes.scorers: own probes line" in proc.stderr) is own
    assert any(" DEBUG PIL." in line for line in lines) is third_party_debug
    assert "INFO sqlalchemy.engine: third-party info line" in proc.stderr  # INFO of others is kept throughout


def test_help_documents_the_verbosity_levels() -> None:
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True).stdout
    assert "-vv" in out and "--debug-all" in out and "monitor.*" in out


# -- stdout closed early ------------------------------------------------------------------------------------
def test_local_commands_stop_quietly_when_stdout_is_closed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("endpoints:\n" + "".join(f"  - {{name: e{i}, kind: openai, base_url: 'http://', model: m}}\n"
                                            for i in range(50)))
    for args, rc in ((["probes", "list", "--json"], EXIT_PIPE_CLOSED),
                     (["config", "check", str(bad)], EXIT_PIPE_CLOSED),
                     (["probes", "list"], 1)):  # a rich table: rich ends it with exit status 1
        proc = _closed_stdout(args)
        assert proc.returncode == rc, (args, proc.stderr)
        _quiet(proc.stderr)
        assert proc.stderr == b"", (args, proc.stderr)
    many = tmp_path / "many.yaml"  # 2,000 error lines, ~200 KB: more than a pipe holds
    many.write_text("endpoints:\n" + "".join(f"  - {{name: e{i}, kind: openai, base_url: 'http://', model: m}}\n"
                                             for i in range(2000)))
    rc, err, shown = _into_head(["config", "check", str(many)])
    assert rc == EXIT_PIPE_CLOSED and shown.startswith(str(many).encode()) and len(shown) == 100
    _quiet(err)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, list[str]]]:
    """A real monitor on loopback over a real SQLite file holding RUNS finished runs: (address, run ids)."""
    data = {
        "store": {"url": f"sqlite:///{tmp_path}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{_free_port()}", "http_listen": f"127.0.0.1:{_free_port()}"},
        "suite": {"tasks": ["T.1"]},
        "endpoints": [{"name": "demo", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}],
    }
    config = Config.model_validate(data)
    store = Store(config.store.url)
    ids = []
    for i in range(RUNS):
        run = store.create_run("demo", "api", ["T.1"], suite_version(), "default")
        store.mark_running(run.id, model="m", model_version=str(i), model_fingerprint="f" * 32, total_items=0)
        ids.append(store.finish_run(run.id, RunStatus.SUCCEEDED, message=f"run number {i} " + "x" * 6000).id)
    store.close()
    service = Service(config)
    await service.start()
    try:
        yield config.server.grpc_listen, ids
    finally:
        await service.stop()


async def _closed_stdout_async(args: list[str]) -> tuple[int, bytes]:
    read, write = os.pipe()
    os.close(read)
    try:
        proc = await asyncio.create_subprocess_exec(*CLI, *args, stdout=write, stderr=asyncio.subprocess.PIPE,
                                                    cwd=ROOT)
    finally:
        os.close(write)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, err


async def test_client_commands_stop_quietly_when_stdout_is_closed(server: tuple[str, list[str]]) -> None:
    address, ids = server
    at = ["--server", address]
    # the same commands with a reader: they work, and print more than a pipe holds
    proc = await asyncio.create_subprocess_exec(*CLI, "runs", "list", "--json", "--limit", "500", *at,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                cwd=ROOT)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err
    listed = json.loads(out)
    assert [r["id"] for r in listed] == ids[::-1] and len(out) > 200_000

    for args, rc in ((["runs", "show", ids[0], "--json"], EXIT_PIPE_CLOSED),
                     (["runs", "list", "--json", "--limit", "500"], EXIT_PIPE_CLOSED),
                     (["runs", "show", ids[0]], EXIT_PIPE_CLOSED),
                     (["runs", "list", "--limit", "500"], 1)):  # a rich table: rich ends it with exit status 1
        code, err = await _closed_stdout_async([*args, *at])
        assert code == rc, (args, err)
        _quiet(err)
        assert err == b"", (args, err)

    code, err, shown = await asyncio.to_thread(_into_head, ["runs", "list", "--json", "--limit", "500", *at])
    assert code == EXIT_PIPE_CLOSED and shown.startswith(b"[") and len(shown) == 100
    _quiet(err)


def test_pipe_closed_status_is_the_shells_sigpipe_status() -> None:
    assert EXIT_PIPE_CLOSED == 128 + signal.SIGPIPE == 141
