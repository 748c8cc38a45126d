"""The Dockerfile, without Docker: deploy/docker/check_dockerfile.py replays its build steps for real (a fresh
virtual environment, pip, the stub generation), runs ``config check`` on the compose config and starts the
monitor the way the image's ENTRYPOINT + CMD would, with its HEALTHCHECK."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"


def _module(name: str) -> ModuleType:
    return load_script(DOCKER / f"{name}.py", name)


model = _module("dockerfile_model")
checker = _module("check_dockerfile")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """The whole replay, once: build stages, config check, serve + HEALTHCHECK + SIGTERM."""
    root = tmp_path_factory.mktemp("image")
    lines: list[str] = []
    report = checker.check(ROOT / "Dockerfile", root=root, log=lines.append)
    yield report, root


# ------------------------------------------------------------------------------------------------ the replay


def test_build_steps_run_and_the_monitor_starts_healthy(replayed: tuple[Any, Path]) -> None:
    report, _root = replayed
    assert report.config_check.splitlines()[-1] == "ok"
    assert report.served
    # only the system-user step is left out, and it says why
    assert len(report.skipped) == 1 and "system user" in report.skipped[0]
    assert any("pip install" in step for step in report.ran)


def test_stubs_are_generated_by_the_build_not_copied(replayed: tuple[Any, Path]) -> None:
    _report, root = replayed
    site = next((root / "opt" / "trust-monitor" / "lib").glob("python3.*/site-packages"))
    assert (site / "monitor" / "api" / "_generated" / "trust_monitor" / "v1" / "trust_monitor_pb2_grpc.py").is_file()
    rules = model.read_dockerignore(ROOT / ".dockerignore")
    assert model.is_ignored("monitor/api/_generated/trust_monitor/v1/trust_monitor_pb2.py", rules)


def test_no_torch_unless_asked(replayed: tuple[Any, Path]) -> None:
    _report, root = replayed
    site = next((root / "opt" / "trust-monitor" / "lib").glob("python3.*/site-packages"))
    assert not (site / "torch").exists()
    assert (site / "grpc").is_dir() and (site / "psycopg2").is_dir()  # the default EXTRAS=postgres


def test_runtime_stage_is_non_root_and_exposes_the_config_defaults(replayed: tuple[Any, Path]) -> None:
    from monitor.config import ServerConfig

    report, _root = replayed
    runtime = report.runtime
    uid, _, gid = runtime.user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0  # numeric: runAsNonRoot can check it
    defaults = ServerConfig()
    ports = {int(defaults.grpc_listen.rsplit(":", 1)[1]), int(defaults.http_listen.rsplit(":", 1)[1])}
    assert set(runtime.exposed) == ports
    url = runtime.declared["TRUST_MONITOR_READYZ_URL"]
    assert url.endswith("/readyz") and f":{defaults.http_listen.rsplit(':', 1)[1]}/" in url
    assert "TRUST_MONITOR_READYZ_URL" in " ".join(runtime.healthcheck)
    assert runtime.entrypoint == ["trust-monitor"] and runtime.cmd[:1] == ["serve"]


# ------------------------------------------------------------------------------------------- consistency


def _arg_default(dockerfile: Path, name: str) -> str:
    m = re.search(rf"^ARG {name}=(\S+)$", dockerfile.read_text(encoding="utf-8"), re.MULTILINE)
    assert m, f"{dockerfile.name}: no ARG {name}"
    return m.group(1)


def test_torch_pin_is_the_projects() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pins = {r.split("==", 1)[1] for name in ("demo", "hf-local") for r in extras[name] if r.startswith("torch==")}
    assert len(pins) == 1
    assert _arg_default(ROOT / "Dockerfile", "TORCH_VERSION") in pins
    assert _arg_default(ROOT / "deploy" / "compose" / "triton.Dockerfile", "TORCH_VERSION") in pins


def test_base_image_is_the_projects_python() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    image = _arg_default(ROOT / "Dockerfile", "PYTHON_IMAGE")
    m = re.match(r"python:(\d+\.\d+)-slim", image)
    assert m and requires == f">={m.group(1)}"


# ------------------------------------------------------------------------------------ the replay's own parts


def test_parse_joins_continuations_and_reads_skip_marks() -> None:
    df = model.parse(
        "ARG BASE=python:3.11-slim\nFROM $BASE AS one\n# check_dockerfile: skip (system)\nRUN a \\\n"
        "  # a comment inside\n  && b\nENV X=1 \\\n    Y=\"two words\"\n")
    stage = df.stage("one")
    run, env = stage.instructions
    assert (run.keyword, run.value, run.skip, run.line) == ("RUN", "a && b", "system", 4)
    assert model.assignments(env.value, {}) == [("X", "1"), ("Y", "two words")]


def test_substitution() -> None:
    env = {"A": "x", "EMPTY": ""}
    assert model.substitute("$A/${A}/${EMPTY:-d}/${A:+y}/${EMPTY:+n}/$MISSING.", env) == "x/x/d/y//."


@pytest.mark.parametrize(("path", "ignored"), [
    ("monitor/cli.py", False), ("monitor/api/_generated/x.py", True), ("probes/data/a.png", False),
    ("monitor/__pycache__/cli.cpython-311.pyc", True), ("tests/conftest.py", True), (".venv/bin/python", True),
    ("var/demo.db", True), ("pyproject.toml", False), ("deploy/compose/docker-compose.yml", True),
])
def test_dockerignore_is_an_allow_list(path: str, ignored: bool) -> None:
    assert model.is_ignored(path, model.read_dockerignore(ROOT / ".dockerignore")) is ignored


def test_replay_refuses_a_run_step_that_names_an_absolute_path(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nRUN touch /etc/trust-monitor-replay-must-not-write-this\n")
    replay = checker.Replay(model.load(dockerfile), context=ROOT, root=tmp_path / "root", build_args={},
                            log=lambda _line: None)
    with pytest.raises(checker.CheckError, match="absolute path"):
        replay.run()
    assert not Path("/etc/trust-monitor-replay-must-not-write-this").exists()


def test_replay_fails_on_a_copy_that_dockerignore_leaves_out(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nWORKDIR /src\nCOPY tests/ tests/\n")
    replay = checker.Replay(model.load(dockerfile), context=ROOT, root=tmp_path / "root", build_args={},
                            log=lambda _line: None)
    with pytest.raises(checker.CheckError, match=r"left out by \.dockerignore"):
        replay.run()


def test_replay_reports_a_failing_step(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nENV GREETING=hello\nRUN test \"$GREETING\" = hello && exit 3\n")
    replay = checker.Replay(model.load(dockerfile), context=ROOT, root=tmp_path / "root", build_args={},
                            log=lambda _line: None)
    with pytest.raises(checker.CheckError, match="exited 3"):
        replay.run()
