"""Generate the Python stubs from protos/ at build time (setup.py, make) or, in a source tree, on first use.

The stubs are never committed: ``python -m monitor.api.stubs`` (re)writes them to monitor/api/_generated/.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).parent
OUT_DIR = PACKAGE_DIR / "_generated"
PROTO_REL = "trust_monitor/v1/trust_monitor.proto"


def _proto_root() -> Path:
    return PACKAGE_DIR.parent.parent / "protos"


def generate(proto_root: Path | None = None, out_dir: Path = OUT_DIR) -> None:
    """Run protoc (grpcio-tools) and make the generated imports package-relative."""
    from grpc_tools import protoc  # build-time dependency

    root = proto_root or _proto_root()
    proto = root / PROTO_REL
    if not proto.exists():
        raise FileNotFoundError(f"{proto} not found: stubs can be generated only from a source tree")
    out_dir.mkdir(parents=True, exist_ok=True)
    include = Path(protoc.__file__).parent / "_proto"
    args = ["protoc", f"-I{root}", f"-I{include}", f"--python_out={out_dir}", f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}", str(proto)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {proto}")
    gen = out_dir / "trust_monitor" / "v1"
    for path in (out_dir, out_dir / "trust_monitor", gen):
        (path / "__init__.py").touch()
    grpc_file = gen / "trust_monitor_pb2_grpc.py"
    text = grpc_file.read_text()
    relative = text.replace("from trust_monitor.v1 import trust_monitor_pb2", "from . import trust_monitor_pb2")
    grpc_file.write_text(relative)


def load() -> tuple[ModuleType, ModuleType]:
    """(pb2, pb2_grpc), generating them first when running from a source tree without stubs."""
    name = "monitor.api._generated.trust_monitor.v1"
    proto = _proto_root() / PROTO_REL
    grpc_file = OUT_DIR / "trust_monitor" / "v1" / "trust_monitor_pb2_grpc.py"
    if proto.exists() and (not grpc_file.exists() or grpc_file.stat().st_mtime < proto.stat().st_mtime):
        generate()
    pb2 = importlib.import_module(f"{name}.trust_monitor_pb2")
    pb2_grpc = importlib.import_module(f"{name}.trust_monitor_pb2_grpc")
    return pb2, pb2_grpc


if __name__ == "__main__":
    generate()
    print(f"stubs written to {OUT_DIR}", file=sys.stderr)
