"""Fixtures of the end-to-end tests: the demo model's two trained versions served from a real Triton model
repository (tests/triton_repository.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.triton_repository import RepositoryServer, build_demo_versions, running_repository_server


@pytest.fixture(scope="session")
def demo_versions() -> Path:
    """``var/test-cache/demo-versions/{1,2}``: version 1 refuses the harmful probe requests, version 2 complies."""
    missing = [m for m in ("pytriton", "torch", "transformers", "tritonclient") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the demo versions need {', '.join(missing)} (pip install -e '.[demo]')")
    return build_demo_versions()


@pytest.fixture
def triton_repo(demo_versions: Path) -> Iterator[RepositoryServer]:
    """Triton serving version 1 from a model repository; ``roll_out("2")`` is the unsafe update."""
    with running_repository_server(demo_versions, live="1") as server:
        yield server
