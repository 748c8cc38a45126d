"""Replay the Dockerfile's build steps outside Docker, then start what they built the way the image would.

    python deploy/docker/check_dockerfile.py                       # Dockerfile, default build args
    python deploy/docker/check_dockerfile.py --keep --workdir /tmp/replay --build-arg EXTRAS=postgres

No Docker engine is needed. Each stage's instructions run in order under a temporary folder that stands for the
image's file system: ``WORKDIR``/``COPY``/``ENV``/``ARG`` are applied (absolute paths and absolute ENV values
map into that folder, ``COPY`` honours ``.dockerignore``), and every ``RUN`` is run with ``/bin/sh -c`` exactly
as written, in a fresh virtual environment the steps make themselves. The base image's Python is this
machine's (same major.minor as the ``python:X.Y`` base, checked). What differs from a real build, on purpose:
pip's download cache is kept (``PIP_NO_CACHE_DIR`` dropped), ``CC``/``CXX`` are ``false`` (the slim base has no
compiler, so a dependency that would compile fails here too), ``RUN`` steps marked
``# check_dockerfile: skip (why)`` are reported and left out (they change the base system), and the processes
run as the current user instead of ``USER``.

Then, in the last stage's environment and working folder: ``ENTRYPOINT config check CONFIG`` must print ``ok``;
``ENTRYPOINT CMD`` starts the monitor on a copy of CONFIG placed where CMD reads it (loopback ports, its store
in the stand-in file system, endpoints pointed at a closed loopback port), the ``HEALTHCHECK`` command must
pass against it, ``/metrics`` must answer, and SIGTERM must stop it with exit code 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dockerfile_model import (  # noqa: E402  (a module beside this script)
    Dockerfile,
    IgnoreRule,
    Instruction,
    assignments,
    copy_args,
    healthcheck_command,
    healthcheck_options,
    is_ignored,
    load,
    read_dockerignore,
    substitute,
)

REPO = HERE.parents[1]
DEFAULT_CONFIG = REPO / "deploy" / "compose" / "trust-monitor.yaml"
# The python:3.x-slim images' PATH; its Python stands for /usr/local/bin/python3.
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ALLOWED_ABSOLUTE = {"/dev/null"}
_ABSOLUTE = re.compile(r"(?:^|[\s=\"'(<>])(/[A-Za-z][^\s\"';|&)<>]*)")
RUN_TIMEOUT_S = 1200.0


class CheckError(Exception):
    """A build step or a check of the built result failed."""


@dataclass
class StageState:
    name: str
    declared: dict[str, str]  # environment as the image has it (ARG + ENV, unmapped paths)
    env_keys: list[str] = field(default_factory=list)  # which of them are ENV (kept in the image)
    workdir: str = "/"
    user: str = "root"
    exposed: list[int] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    healthcheck_options: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


@dataclass
class Report:
    stages: dict[str, StageState]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    config_check: str = ""
    served: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def runtime(self) -> StageState:
        return list(self.stages.values())[-1]


class Replay:
    def __init__(self, dockerfile: Dockerfile, *, context: Path, root: Path, build_args: Mapping[str, str],
                 log: Callable[[str], None] = print) -> None:
        self.dockerfile = dockerfile
        self.context = context.resolve()
        self.root = root.resolve()
        self.build_args = dict(build_args)
        self.log = log
        self.ignore: list[IgnoreRule] = read_dockerignore(self.context / ".dockerignore")
        (self.root / "host-bin").mkdir(parents=True, exist_ok=True)
        self._link_base_python()

    # ------------------------------------------------------------------------------------------ file system

    def _link_base_python(self) -> None:
        """The base image's python3/python: this machine's base interpreter (not a virtual environment's)."""
        base = Path(getattr(sys, "_base_executable", sys.executable))
        for name in ("python3", "python", f"python{sys.version_info.major}.{sys.version_info.minor}"):
            link = self.root / "host-bin" / name
            if not link.exists():
                link.symlink_to(base)

    def map_path(self, path: str) -> Path:
        if not path.startswith("/"):
            raise CheckError(f"not an absolute path: {path!r}")
        return self.root / path.lstrip("/")

    def process_env(self, state: StageState, *, image_only: bool = False) -> dict[str, str]:
        """The environment a RUN step sees (ARG and ENV), or with ``image_only`` a container of the image (ENV
        only); absolute paths mapped into the stand-in file system."""
        env = dict(os.environ)
        for key, value in state.declared.items():
            if image_only and key not in state.env_keys:
                continue
            if key == "PATH":
                parts = []
                for part in value.split(":"):
                    if part == "<base>":
                        parts += [str(self.root / "host-bin"), os.environ.get("PATH", BASE_PATH)]
                    else:
                        parts.append(str(self.map_path(part)) if part.startswith("/") else part)
                env[key] = ":".join(parts)
            elif value.startswith("/"):
                env[key] = str(self.map_path(value))
            else:
                env[key] = value
        env.pop("PIP_NO_CACHE_DIR", None)  # keep pip's download cache between checks
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONHOME", None)
        env["CC"] = env["CXX"] = "false"  # no compiler in the slim base image
        return env

    # ---------------------------------------------------------------------------------------------- stages

    def run(self) -> Report:
        args: dict[str, str] = {}
        for ins in self.dockerfile.global_args:
            for key, value in assignments(ins.value, args):
                args[key] = self.build_args.get(key, value)
        report = Report(stages={})
        for stage in self.dockerfile.stages:
            base = substitute(stage.base, args)
            self._check_base(base)
            state = StageState(stage.name, {"PATH": "<base>"}, ["PATH"])
            started = time.perf_counter()
            for number, ins in enumerate(stage.instructions, start=1):
                self._apply(ins, state, args, report, f"{stage.name} {number}/{len(stage.instructions)}")
            report.seconds[f"stage {stage.name}"] = time.perf_counter() - started
            report.stages[stage.name] = state
        return report

    def _check_base(self, base: str) -> None:
        m = re.match(r"^(?:docker\.io/)?(?:library/)?python:(\d+)\.(\d+)", base)
        if not m:
            raise CheckError(f"base image {base!r}: only python:X.Y images can be replayed with this machine's Python")
        want = (int(m.group(1)), int(m.group(2)))
        if sys.version_info[:2] != want:
            raise CheckError(f"base image {base} is Python {want[0]}.{want[1]}; this check runs on "
                             f"{sys.version_info.major}.{sys.version_info.minor}: run it with that Python")

    def _apply(self, ins: Instruction, state: StageState, args: dict[str, str], report: Report, where: str) -> None:
        env = {**args, **state.declared}
        kw = ins.keyword
        if kw == "ARG":
            # a --build-arg wins; 'ARG NAME' alone takes the global ARG's value (assignments() reads it from env)
            for key, default in assignments(ins.value, env):
                state.declared[key] = self.build_args.get(key, default)
        elif kw == "ENV":
            for key, value in assignments(ins.value, env):
                state.declared[key] = value.replace(BASE_PATH, "<base>")
                if key not in state.env_keys:
                    state.env_keys.append(key)
        elif kw == "WORKDIR":
            path = substitute(ins.value, env)
            state.workdir = path if path.startswith("/") else f"{state.workdir.rstrip('/')}/{path}"
            self.map_path(state.workdir).mkdir(parents=True, exist_ok=True)
        elif kw == "COPY":
            self._copy(ins, state, env)
        elif kw == "RUN":
            if ins.skip:
                report.skipped.append(f"line {ins.line}: RUN ({ins.skip})")
                self.log(f"[{where}] RUN skipped: {ins.skip}")
                return
            self._run(ins, state, where)
            report.ran.append(f"line {ins.line}: RUN {ins.value[:70]}")
            return
        elif kw == "USER":
            state.user = substitute(ins.value, env)
        elif kw == "EXPOSE":
            for word in substitute(ins.value, env).split():
                state.exposed.append(int(word.split("/")[0]))
        elif kw == "VOLUME":
            text = substitute(ins.value, env)
            state.volumes += yaml.safe_load(text) if text.startswith("[") else text.split()
        elif kw == "HEALTHCHECK":
            state.healthcheck = ins.exec_form() or ["/bin/sh", "-c", healthcheck_command(ins.value)]
            state.healthcheck_options = healthcheck_options(ins.value)
        elif kw in ("ENTRYPOINT", "CMD"):
            words = ins.exec_form() or ["/bin/sh", "-c", ins.value]
            if kw == "ENTRYPOINT":
                state.entrypoint = words
            else:
                state.cmd = words
        elif kw not in ("LABEL", "STOPSIGNAL", "SHELL", "ONBUILD"):
            raise CheckError(f"line {ins.line}: {kw} is not something this replay knows")
        if kw != "RUN":
            report.ran.append(f"line {ins.line}: {kw} {ins.value[:70]}")

    def _copy(self, ins: Instruction, state: StageState, env: Mapping[str, str]) -> None:
        flags, sources, dest = copy_args(ins.value, env)
        unknown = set(flags) - {"from", "chown", "chmod", "link"}
        if unknown:
            raise CheckError(f"line {ins.line}: COPY --{', --'.join(sorted(unknown))} is not replayed")
        dest_abs = dest if dest.startswith("/") else f"{state.workdir.rstrip('/')}/{dest}"
        target = self.map_path(dest_abs)
        into_dir = dest.endswith("/") or len(sources) > 1
        for source in sources:
            if "from" in flags:  # another stage's file system: the same stand-in folder here
                src = self.map_path(source)
                if not src.exists():
                    raise CheckError(f"line {ins.line}: COPY --from={flags['from']} {source}: not built")
                if src.resolve() != target.resolve():
                    self._copy_tree(src, target / src.name if into_dir else target, None)
                continue
            src = (self.context / source).resolve()
            rel = src.relative_to(self.context).as_posix() if src != self.context else ""
            if not src.exists():
                raise CheckError(f"line {ins.line}: COPY {source}: not in the build context")
            if rel and is_ignored(rel, self.ignore):
                raise CheckError(f"line {ins.line}: COPY {source}: left out by .dockerignore")
            if src.is_dir():
                self._copy_tree(src, target, rel)
            else:
                self._copy_file(src, target / src.name if into_dir else target)

    def _copy_tree(self, src: Path, dest: Path, rel: str | None) -> None:
        """A folder's contents into ``dest``; ``rel`` (its path in the build context) applies .dockerignore."""
        for path in sorted(src.rglob("*")):
            if path.is_dir():
                continue
            inner = path.relative_to(src).as_posix()
            if rel is not None and is_ignored(f"{rel}/{inner}" if rel else inner, self.ignore):
                continue
            self._copy_file(path, dest / inner)

    @staticmethod
    def _copy_file(src: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest, follow_symlinks=True)

    def _run(self, ins: Instruction, state: StageState, where: str) -> None:
        stray = sorted({p for p in _ABSOLUTE.findall(ins.value) if p not in ALLOWED_ABSOLUTE})
        if stray:
            raise CheckError(f"line {ins.line}: RUN names absolute path(s) {', '.join(stray)}: use an ENV "
                             f"variable (mapped here) or mark the step '# check_dockerfile: skip (why)'")
        cwd = self.map_path(state.workdir)
        self.log(f"[{where}] RUN {ins.value}")
        started = time.perf_counter()
        proc = subprocess.run(["/bin/sh", "-c", ins.value], cwd=cwd, env=self.process_env(state),
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
        if proc.returncode != 0:
            raise CheckError(f"line {ins.line}: RUN exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-4000:]}")
        self.log(f"    ok ({time.perf_counter() - started:.1f}s)")


# ------------------------------------------------------------------------------------ the built result, started


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def local_config(config: dict[str, Any], replay: Replay, *, grpc: int, http: int, closed: int) -> dict[str, Any]:
    """The config, but on loopback ports, its SQLite store inside the stand-in file system, endpoints closed."""
    out = yaml.safe_load(yaml.safe_dump(config))
    server = out.setdefault("server", {})
    server["grpc_listen"], server["http_listen"] = f"127.0.0.1:{grpc}", f"127.0.0.1:{http}"
    url = out.get("store", {}).get("url", "")
    if url.startswith("sqlite:////"):
        out["store"]["url"] = f"sqlite:///{replay.map_path(url[len('sqlite:///'):])}"
    elif url and not url.startswith("sqlite:///"):
        raise CheckError(f"store.url {url!r}: only SQLite stores are started here")
    for endpoint in out.get("endpoints", []):
        if "url" in endpoint:
            endpoint["url"] = f"127.0.0.1:{closed}"
        if "base_url" in endpoint:
            endpoint["base_url"] = f"http://127.0.0.1:{closed}/v1"
    return out


def _mapped_argv(argv: list[str], replay: Replay) -> list[str]:
    return [str(replay.map_path(a)) if a.startswith("/") and a != "/bin/sh" else a for a in argv]


def config_check(report: Report, replay: Replay, config: Path) -> str:
    state = report.runtime
    argv = [*state.entrypoint, "config", "check", str(config)]
    proc = subprocess.run(argv, cwd=replay.map_path(state.workdir), env=replay.process_env(state, image_only=True),
                          capture_output=True, text=True, timeout=120, check=False)
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or out.splitlines()[-1:] != ["ok"]:
        raise CheckError(f"{' '.join(argv)} exited {proc.returncode}:\n{out}")
    return out


@contextmanager
def started(report: Report, replay: Replay, config: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """ENTRYPOINT + CMD, with the config where CMD reads it; yields (process, http port)."""
    state = report.runtime
    argv = state.entrypoint + state.cmd
    if "--config" not in argv:
        raise CheckError(f"ENTRYPOINT + CMD {argv} takes no --config")
    config_path = argv[argv.index("--config") + 1]
    grpc, http, closed = free_port(), free_port(), free_port()
    local = local_config(yaml.safe_load(config.read_text(encoding="utf-8")), replay, grpc=grpc, http=http,
                         closed=closed)
    target = replay.map_path(config_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(local, sort_keys=False), encoding="utf-8")
    log = replay.root / "serve.log"
    env = replay.process_env(state, image_only=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(_mapped_argv(argv, replay), cwd=replay.map_path(state.workdir), env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        yield proc, http
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _seconds(option: str, default: float) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", option or "")
    if not m:
        return default
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def healthcheck_passes(report: Report, replay: Replay, proc: subprocess.Popen[bytes], http: int) -> float:
    """Run the HEALTHCHECK command until it exits 0 within its start period; seconds it took."""
    state = report.runtime
    if not state.healthcheck:
        raise CheckError("the last stage has no HEALTHCHECK")
    env = replay.process_env(state, image_only=True)
    for key, value in list(env.items()):  # the image's URLs name its port; point them at this one
        if key in state.declared and re.match(r"^https?://(127\.0\.0\.1|localhost):\d+/", value):
            env[key] = re.sub(r":\d+/", f":{http}/", value, count=1)
    period = _seconds(state.healthcheck_options.get("start-period", ""), 60.0)
    timeout = _seconds(state.healthcheck_options.get("timeout", ""), 30.0)
    started_at = time.perf_counter()
    last = ""
    while time.perf_counter() - started_at < period:
        if proc.poll() is not None:
            raise CheckError(f"the monitor exited with code {proc.returncode} before it was healthy:\n"
                             f"{(replay.root / 'serve.log').read_text(errors='replace')[-4000:]}")
        check = subprocess.run(_mapped_argv(state.healthcheck, replay), env=env, capture_output=True, text=True,
                               timeout=timeout + 5, check=False)
        if check.returncode == 0:
            return time.perf_counter() - started_at
        last = (check.stdout + check.stderr).strip()[-500:]
        time.sleep(0.5)
    raise CheckError(f"HEALTHCHECK did not pass within its start period ({period:g}s); last output:\n{last}")


def serve_and_stop(report: Report, replay: Replay, config: Path) -> None:
    with started(report, replay, config) as (proc, http):
        took = healthcheck_passes(report, replay, proc, http)
        replay.log(f"HEALTHCHECK passed {took:.1f}s after the start")
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=5) as reply:
            body = reply.read().decode("utf-8", errors="replace")
        if "trust_" not in body:
            raise CheckError("/metrics answered without any trust_ metric")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        if code != 0:
            raise CheckError(f"the monitor exited with code {code} on SIGTERM:\n"
                             f"{(replay.root / 'serve.log').read_text(errors='replace')[-4000:]}")
    report.served = True


def check(dockerfile: Path, *, context: Path = REPO, config: Path = DEFAULT_CONFIG, root: Path | None = None,
          build_args: Mapping[str, str] | None = None, serve: bool = True,
          log: Callable[[str], None] = print) -> Report:
    """Replay ``dockerfile`` under ``root`` (a temporary folder when None) and check what it built."""
    owned = root is None
    workdir = Path(tempfile.mkdtemp(prefix="check-dockerfile-")) if root is None else root
    try:
        replay = Replay(load(dockerfile), context=context, root=workdir, build_args=build_args or {}, log=log)
        report = replay.run()
        started_at = time.perf_counter()
        report.config_check = config_check(report, replay, config)
        log(f"config check {config}: {report.config_check}")
        if serve:
            serve_and_stop(report, replay, config)
        report.seconds["run"] = time.perf_counter() - started_at
        return report
    finally:
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dockerfile", type=Path, default=REPO / "Dockerfile")
    p.add_argument("--context", type=Path, default=REPO, help="build context (default: the repository)")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config to check and start with")
    p.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--workdir", type=Path, help="stand-in file system (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep --workdir (or the temporary folder) afterwards")
    p.add_argument("--no-serve", action="store_true", help="only build and run config check")
    args = p.parse_args(argv)
    build_args = dict(a.partition("=")[::2] for a in args.build_arg)
    root = args.workdir or (Path(tempfile.mkdtemp(prefix="check-dockerfile-")) if args.keep else None)
    try:
        report = check(args.dockerfile, context=args.context, config=args.config, root=root,
                       build_args=build_args, serve=not args.no_serve)
    except CheckError as exc:
        print(f"check_dockerfile: FAILED: {exc}", file=sys.stderr)
        return 1
    runtime = report.runtime
    print(f"ok: {len(report.ran)} instructions replayed, {len(report.skipped)} skipped "
          f"({'; '.join(report.skipped) or 'none'}); runtime user {runtime.user}, ports {runtime.exposed}"
          + (f"; kept {root}" if root is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
