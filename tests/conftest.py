"""Shared fixtures."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so the helper imports under any import mode

from triton_server import TritonServer, running_triton_server


@pytest.fixture(scope="session")
def triton_server() -> Iterator[TritonServer]:
    """A real Triton server (nvidia-pytriton) serving the tiny demo LLaVA on free loopback ports."""
    missing = [m for m in ("pytriton", "torch", "transformers", "tritonclient") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the Triton test server needs {', '.join(missing)} (pip install -e '.[demo]')")
    with running_triton_server() as server:
        yield server
