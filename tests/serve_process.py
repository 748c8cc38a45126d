"""`trust-monitor serve` as a subprocess, for the tests that kill it or watch its process from outside."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import IO

import aiohttp

REPO = Path(__file__).resolve().parents[1]


async def start_serve(config: Path, http: str, *, output: IO[str] | None = None,
                      timeout_s: float = 60, args: tuple[str, ...] = (),
                      env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """Start `serve --config CONFIG [ARGS]` and wait until ``http``/readyz answers 200. Its stdout and stderr go
    to ``output`` (a file), or stderr is piped and stdout dropped."""
    err = output if output is not None else asyncio.subprocess.PIPE
    out = output if output is not None else asyncio.subprocess.DEVNULL
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "monitor.cli", "serve", "--config",
                                                str(config), *args, cwd=REPO, stdout=out, stderr=err, env=env)
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise AssertionError(f"serve exited with {proc.returncode} before it was ready")
            try:
                async with session.get(f"http://{http}/readyz") as reply:
                    if reply.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    proc.kill()
    await proc.wait()
    raise AssertionError(f"serve not ready within {timeout_s:.0f} s")
