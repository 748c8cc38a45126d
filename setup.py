"""Build hook: generate the gRPC stubs from protos/ into the package (they are never committed)."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithStubs(build_py):
    def run(self) -> None:
        here = Path(__file__).parent
        spec = importlib.util.spec_from_file_location("_stubs", here / "monitor" / "api" / "stubs.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.generate(here / "protos", here / "monitor" / "api" / "_generated")
        super().run()


setup(cmdclass={"build_py": BuildWithStubs})
