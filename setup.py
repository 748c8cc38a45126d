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
        # the generated packages did not exist when packages were discovered
        generated = ["monitor.api._generated", "monitor.api._generated.trust_monitor",
                     "monitor.api._generated.trust_monitor.v1"]
        self.packages = list(self.packages or []) + [p for p in generated if p not in (self.packages or [])]
        super().run()


setup(cmdclass={"build_py": BuildWithStubs})
