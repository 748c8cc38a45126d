"""A gRPC port already in use stops ``trust-monitor serve`` with one line naming the address (exit 1, no
traceback), before the store is touched; and two monitors can never share a port (no SO_REUSEPORT)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import grpc
import yaml

from monitor.api.stubs import load
from monitor.store import RunStatus
from tests.monitor.api.served import config_data, free_port, served

pb2, pb2_grpc = load()


def _serve(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
                          capture_output=True, text=True, timeout=120)


def _second_config(first: Path, tmp: Path, grpc_listen: str) -> Path:
    data = yaml.safe_load(first.read_text())
    data["server"]["grpc_listen"] = grpc_listen
    data["server"]["http_listen"] = f"127.0.0.1:{free_port()}"  # only the gRPC port is shared
    path = tmp / "second.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _one_line_refusal(proc: subprocess.CompletedProcess[str], address: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("trust-monitor:")]
    assert lines == [f"trust-monitor: cannot listen on {address} for gRPC (server.grpc_listen): "
                     "Address already in use"], proc.stderr


def test_second_monitor_on_the_same_grpc_port_is_refused(tmp_path: Path) -> None:
    with served(tmp_path) as first:
        with grpc.insecure_channel(first.grpc_addr) as channel:
            stub = pb2_grpc.TrustMonitorStub(channel)
            run = stub.StartRun(pb2.StartRunRequest(endpoint="demo"))  # held at the gate: running
            proc = _serve(_second_config(first.config_file, tmp_path, first.grpc_addr))
            _one_line_refusal(proc, first.grpc_addr)
            # the refused instance shares the store file, and left it alone: the first one's run is not
            # "interrupted", and every call still reaches the first monitor
            stored = first.service.store.get_run(run.id)
            assert stored is not None and stored.status in (RunStatus.QUEUED, RunStatus.RUNNING)
            for _ in range(20):
                assert stub.GetRun(pb2.GetRunRequest(run_id=run.id)).id == run.id


def test_port_held_by_a_plain_socket(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        address = f"127.0.0.1:{holder.getsockname()[1]}"
        data = config_data(tmp_path, "http://127.0.0.1:9/v1", grpc_listen=address)
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(data))
        proc = _serve(config)
    assert not (tmp_path / "monitor.db").exists()  # refused before the store was opened
    _one_line_refusal(proc, address)


async def test_a_start_that_fails_after_the_bind_lets_go_of_the_port(tmp_path: Path) -> None:
    from monitor.config import Config
    from monitor.service import Service

    data = config_data(tmp_path, "http://127.0.0.1:9/v1")
    data["store"]["url"] = f"sqlite:///{tmp_path}/not-a-folder/x/../monitor.db"
    (tmp_path / "not-a-folder").write_text("a file where the store's folder should be")
    service = Service(Config.model_validate(data))
    try:
        await service.start()
    except Exception:
        pass
    else:  # pragma: no cover
        raise AssertionError("the store should not open")
    finally:
        await service.stop()
    assert service.grpc is not None and service.grpc.port  # it had bound the port
    with socket.socket() as probe:  # ... and let go of it
        probe.bind(("127.0.0.1", service.grpc.port))
