"""Import a repository script that is not in a package (deploy/…/*.py) as a module, for tests to call."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_script(path: Path, name: str) -> ModuleType:
    """Execute ``path`` as module ``name``, with its folder importable while it runs (scripts import their
    neighbours) and the module registered in ``sys.modules`` (dataclasses look their module up there)."""
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))
