from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import ConfigError, SecretRef, load_config, parse_duration

DATA = Path(__file__).parent.parent / "testdata" / "config"
ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("path", sorted(DATA.glob("invalid-*.yaml")), ids=lambda p: p.stem)
def test_invalid_configs_give_exact_messages(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = [f"{path}: {line}" for line in path.with_suffix(".expected").read_text().splitlines()]
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert sorted(info.value.lines) == sorted(expected)
    assert main(["config", "check", str(path)]) == 2
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(expected)


def test_demo_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(ROOT / "deploy/examples/demo.yaml")]) == 0
    assert capsys.readouterr().out == "ok\n"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert info.value.lines == [f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"]


def test_secret_from_env_is_resolved_and_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_TOKEN", "s3cr3t-value")
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("server: {auth: {tokens: [{env: TM_TEST_TOKEN}]}}\n")
    cfg = load_config(cfg_file)
    token = cfg.server.auth.tokens[0]
    assert token.reveal() == "s3cr3t-value"
    assert "s3cr3t" not in repr(cfg) and "s3cr3t" not in str(token)
    assert "s3cr3t" not in cfg.model_dump_json()


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    assert SecretRef(file=secret).reveal() == "from-file"


def test_inline_secret_is_rejected(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("server: {auth: {tokens: [hunter2]}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg_file)
    assert "hunter2" not in str(info.value)
    assert info.value.lines[0].startswith(f"{cfg_file}: server.auth.tokens.0: ")


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("500ms", 0.5), (2, 2)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_defaults() -> None:
    cfg = load_config(ROOT / "deploy/examples/demo.yaml")
    assert cfg.server.grpc_listen == "127.0.0.1:50051"
    assert cfg.server.http_listen == "127.0.0.1:9464"
    ep = cfg.endpoints[0]
    assert ep.kind == "triton" and ep.tensors.prompt.name == "PROMPT" and ep.tensors.image.datatype == "UINT8"
