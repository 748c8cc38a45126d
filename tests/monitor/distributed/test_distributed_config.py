"""mode: distributed in the config and on the command line: wrong combinations are told in words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[3]
ENDPOINT = {"name": "demo", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_distributed_needs_postgresql_and_refuses_a_run_budget(tmp_path: Path) -> None:
    path = _write(tmp_path, {"mode": "distributed", "store": {"url": f"sqlite:///{tmp_path}/x.db"},
                             "endpoints": [ENDPOINT]})
    with pytest.raises(ConfigError, match="mode: distributed needs a PostgreSQL store"):
        load_config(path)
    priced = {**ENDPOINT, "budget_usd": 5.0, "pricing": {"input_per_million": 1.0, "output_per_million": 2.0}}
    path = _write(tmp_path, {"mode": "distributed", "store": {"url": "postgresql://tm@db:5432/tm"},
                             "endpoints": [priced]})
    with pytest.raises(ConfigError, match="budget_usd is not enforced in mode: distributed"):
        load_config(path)


def test_distributed_settings_are_checked(tmp_path: Path) -> None:
    path = _write(tmp_path, {"mode": "cluster", "distributed": {"shard_size": 0, "stalled_after": "1s",
                                                                "unknown": 1}})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "mode:" in text and "distributed.shard_size:" in text and "distributed.stalled_after: must be at " \
        "least 2s" in text and "distributed.unknown: unknown field" in text
    ok = load_config(_write(tmp_path, {"mode": "distributed", "store": {"url": "postgresql://tm@db:5432/tm"},
                                       "distributed": {"stalled_after": "1m"}}))
    assert ok.distributed.stalled_after == 60.0 and ok.distributed.shard_size == 200


def test_a_role_needs_distributed_mode(tmp_path: Path) -> None:
    path = _write(tmp_path, {"store": {"url": f"sqlite:///{tmp_path}/x.db"}, "endpoints": [ENDPOINT]})
    proc = subprocess.run([sys.executable, "-m", "monitor.cli", "serve", "--config", str(path), "--role", "worker"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 2
    assert "--role worker needs 'mode: distributed'" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unreachable_database_is_said_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, {"mode": "distributed", "store": {"url": "postgresql://tm@127.0.0.1:9/tm"},
                             "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0"},
                             "endpoints": [ENDPOINT]})
    proc = subprocess.run([sys.executable, "-m", "monitor.cli", "serve", "--config", str(path), "--role", "api"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "trust-monitor:" in proc.stderr
