"""deploy/compose: the compose file against the Compose Specification's schema (check-jsonschema's bundled copy),
its mounts and wiring, the monitor's config (``config check``), Prometheus's compose variant (promtool, and
nothing but the targets differs from the shipped file), and the Triton service's model repository and command
(the latter run on a real Triton server, the one nvidia-pytriton ships)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE = COMPOSE_DIR / "docker-compose.yml"
MONITOR_CONFIG = COMPOSE_DIR / "trust-monitor.yaml"
DISTRIBUTED_CONFIG = COMPOSE_DIR / "trust-monitor-distributed.yaml"
SHIPPED_PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
BIN = Path(sys.executable).parent
SERVICES = {"triton", "monitor", "prometheus", "alertmanager", "grafana"}  # the default stack
DISTRIBUTED = {"postgres", "monitor-api", "monitor-worker"}  # the `distributed` profile
# built by `make compose-repo`, not in a fresh clone
GENERATED_SOURCES = {ROOT / "var" / "compose" / "triton-repo"}
# written by the user before the distributed profile's first start (docs/deploy.md), never in a clone
PASSWORD_FILE = ROOT / "var" / "compose" / "postgres-password"
TIMEOUT_S = 120


def _module(path: Path, name: str) -> ModuleType:
    return load_script(path, name)


def _tool(name: str) -> str:
    path = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if path is None:
        if os.environ.get("CI") or name in {"check-jsonschema", "trust-monitor", "promtool"}:
            pytest.fail(f"{name} is not installed; `make test` installs it")
        pytest.skip(f"{name} is not installed")
    return path


def _run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False, env=env)


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _binds(service: dict[str, Any]) -> list[tuple[Path, str]]:
    """(host path, container path) of a service's bind mounts (short syntax); named volumes left out."""
    out = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            out.append(((COMPOSE_DIR / source).resolve(), target))
    return out


def _port(hostport: str) -> int:
    return int(hostport.rsplit(":", 1)[1])


# --------------------------------------------------------------------------------------------- the schema


def test_compose_file_follows_the_compose_spec() -> None:
    _ok(_run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", COMPOSE))


def test_the_schema_check_catches_a_broken_file(tmp_path: Path) -> None:
    doc = _compose()
    doc["services"]["monitor"]["healthcheck"] = {"test": ["CMD", "true"], "intervall": "10s"}
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(doc), encoding="utf-8")
    proc = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", broken)
    assert proc.returncode != 0 and "intervall" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------- mounts and wiring


def test_the_whole_stack_is_there() -> None:
    services = _compose()["services"]
    assert set(services) == SERVICES | DISTRIBUTED
    assert {name for name, s in services.items() if "profiles" not in s} == SERVICES
    assert all(services[name]["profiles"] == ["distributed"] for name in DISTRIBUTED)


def _references(service: dict[str, Any]) -> set[str]:
    """Services, named volumes and secrets a service uses, as 'service:x', 'volume:x', 'secret:x'."""
    deps = service.get("depends_on", {})
    out = {f"service:{d}" for d in (deps if isinstance(deps, list) else deps.keys())}
    out |= {f"volume:{v.split(':')[0]}" for v in service.get("volumes", []) if not v.startswith((".", "/"))}
    out |= {f"secret:{s if isinstance(s, str) else s['source']}" for s in service.get("secrets", [])}
    return out


def test_the_default_stack_does_not_depend_on_the_profile() -> None:
    """Without --profile distributed, Compose leaves the profile's services out: nothing of the default stack may
    need them, their volume or their secret (the default stack stays what it was before the profile)."""
    doc = _compose()
    used_by_default = set().union(*(_references(doc["services"][name]) for name in SERVICES))
    used_by_profile = set().union(*(_references(doc["services"][name]) for name in DISTRIBUTED))
    profile_only = {f"service:{n}" for n in DISTRIBUTED} | (used_by_profile - used_by_default - {
        f"service:{n}" for n in SERVICES})
    assert profile_only >= {"volume:postgres-data", "secret:postgres-password"}
    assert not used_by_default & profile_only
    declared = {f"volume:{v}" for v in doc["volumes"]} | {f"secret:{s}" for s in doc["secrets"]}
    assert {r for r in used_by_default | used_by_profile if not r.startswith("service:")} <= declared


def test_every_bind_mount_source_exists() -> None:
    missing = []
    for name, service in _compose()["services"].items():
        for source, _target in _binds(service):
            if source in GENERATED_SOURCES:
                continue
            if not source.exists():
                missing.append(f"{name}: {source.relative_to(ROOT)}")
    assert not missing, f"missing mount sources (docker would create empty folders instead): {missing}"


def test_the_password_secret_is_written_by_the_user_and_ignored_by_git() -> None:
    (secret,) = _compose()["secrets"].values()
    assert (COMPOSE_DIR / secret["file"]).resolve() == PASSWORD_FILE
    docs = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "var/compose/postgres-password" in docs  # how to write it
    ignored = _run("git", "check-ignore", "--quiet", "--no-index", PASSWORD_FILE.relative_to(ROOT))
    assert ignored.returncode == 0, "var/compose/postgres-password must be git-ignored"


def test_generated_mount_sources_are_the_ones_the_makefile_writes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "compose-repo:" in makefile and "deploy/compose/model_repository.py init" in makefile
    repo = _module(COMPOSE_DIR / "model_repository.py", "compose_model_repository")
    assert Path(repo.DEFAULT_REPOSITORY) in GENERATED_SOURCES


def test_builds_use_the_repository_root_and_its_dockerfiles() -> None:
    services = _compose()["services"]
    for name in ("monitor", "triton"):
        build = services[name]["build"]
        assert (COMPOSE_DIR / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).is_file()
    assert services["monitor"]["build"]["dockerfile"] == "Dockerfile"
    for name in ("monitor-api", "monitor-worker"):  # the very image of the single monitor
        assert services[name]["build"] == services["monitor"]["build"]
        assert services[name]["image"] == services["monitor"]["image"]


def test_ports_are_published_on_loopback_only() -> None:
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_monitor_config_passes_config_check() -> None:
    out = _ok(_run(_tool("trust-monitor"), "config", "check", MONITOR_CONFIG))
    assert out.strip().splitlines()[-1] == "ok"


def test_monitor_service_matches_its_config_and_the_image() -> None:
    services = _compose()["services"]
    config = yaml.safe_load(MONITOR_CONFIG.read_text(encoding="utf-8"))
    monitor = services["monitor"]
    # mounted where the image's CMD reads it
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = json.loads(next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[4:])
    mounts = dict((t, s) for s, t in _binds(monitor))
    assert mounts[cmd[cmd.index("--config") + 1]] == MONITOR_CONFIG
    # listens on all interfaces in the container, on the ports compose publishes and the image exposes
    server = config["server"]
    assert server["grpc_listen"].startswith("0.0.0.0:") and server["http_listen"].startswith("0.0.0.0:")
    published = {int(p.rsplit(":", 1)[1]) for p in monitor["ports"]}
    assert published == {_port(server["grpc_listen"]), _port(server["http_listen"])}
    assert f"127.0.0.1:{_port(server['http_listen'])}/readyz" in dockerfile  # the HEALTHCHECK's URL
    # the SQLite store lives on the named volume
    store = config["store"]["url"].removeprefix("sqlite:///")
    volume_targets = [v.split(":")[1] for v in monitor["volumes"] if not v.startswith((".", "/"))]
    assert any(store.startswith(t + "/") for t in volume_targets)
    # the endpoint is the triton service's gRPC port
    (endpoint,) = config["endpoints"]
    host, port = endpoint["url"].rsplit(":", 1)
    assert host == "triton" and port == "8001" and f"127.0.0.1:8001:{port}" in services["triton"]["ports"]
    assert services["monitor"]["depends_on"]["triton"]["condition"] == "service_healthy"


def _targets(config: dict[str, Any]) -> list[str]:
    out = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    out += [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    return out


def _without_targets(config: dict[str, Any]) -> dict[str, Any]:
    """The config with its static targets blanked and its DNS service discovery (the distributed profile's
    replicas, checked on its own below) left out."""
    clean = json.loads(json.dumps(config))
    for section in clean["scrape_configs"] + clean["alerting"]["alertmanagers"]:
        section.pop("dns_sd_configs", None)
        for static in section["static_configs"]:
            static["targets"] = ["-"]
    return clean


def test_prometheus_compose_variant_only_changes_the_targets() -> None:
    shipped = yaml.safe_load(SHIPPED_PROMETHEUS.read_text(encoding="utf-8"))
    variant = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    assert _without_targets(variant) == _without_targets(shipped)
    assert [job["job_name"] for job in variant["scrape_configs"] if "dns_sd_configs" in job] == ["trust-monitor"]
    # same ports, compose service names instead of loopback
    shipped_ports = [t.rsplit(":", 1)[1] for t in _targets(shipped)]
    assert [t.rsplit(":", 1)[1] for t in _targets(variant)] == shipped_ports
    services = _compose()["services"]
    for target in _targets(variant):
        assert target.rsplit(":", 1)[0] in services, target
    monitor_port = _port(yaml.safe_load(MONITOR_CONFIG.read_text(encoding="utf-8"))["server"]["http_listen"])
    assert f"monitor:{monitor_port}" in _targets(variant)


def _mounted(service: dict[str, Any], into: Path) -> None:
    """Lay the service's bind mounts out under ``into`` as the container sees them."""
    for source, target in _binds(service):
        dest = into / target.lstrip("/")
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)


def test_prometheus_config_as_mounted_passes_promtool(tmp_path: Path) -> None:
    prometheus = _compose()["services"]["prometheus"]
    _mounted(prometheus, tmp_path)
    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config = tmp_path / config_flag.split("=", 1)[1].lstrip("/")
    out = _ok(_run(_tool("promtool"), "check", "config", config))
    assert "1 rule files found" in out and "SUCCESS" in out


def test_alertmanager_uses_the_shipped_routing(tmp_path: Path) -> None:
    alertmanager = _compose()["services"]["alertmanager"]
    config_flag = next(a for a in alertmanager["command"] if a.startswith("--config.file="))
    mounts = dict((t, s) for s, t in _binds(alertmanager))
    assert mounts[config_flag.split("=", 1)[1]] == ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
    _ok(_run(_tool("amtool"), "check-config", mounts[config_flag.split("=", 1)[1]]))


def test_grafana_mounts_the_dashboards_where_the_provisioning_reads_them() -> None:
    grafana = _compose()["services"]["grafana"]
    mounts = dict((t, s) for s, t in _binds(grafana))
    dashboards = {t: s for t, s in mounts.items() if t.startswith("/var/lib/grafana/dashboards/")}
    assert {Path(t).name for t in dashboards} == {"trust-overview.json", "endpoint-detail.json", "probe-health.json"}
    assert all(s == ROOT / "dashboards" / Path(t).name for t, s in dashboards.items())
    assert mounts["/etc/grafana/provisioning/datasources"] == ROOT / "dashboards" / "provisioning" / "datasources"
    assert mounts["/etc/grafana/provisioning/dashboards"] == ROOT / "dashboards" / "provisioning" / "dashboards"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home in dashboards


def test_grafana_provisioning_points_at_the_compose_services() -> None:
    provider = ROOT / "dashboards" / "provisioning" / "dashboards" / "trust-monitor.yml"
    datasource = ROOT / "dashboards" / "provisioning" / "datasources" / "prometheus.yml"
    if not provider.exists() or not datasource.exists():
        pytest.skip("dashboards/provisioning/ is not there yet (the dashboards part of issue 10)")
    providers = yaml.safe_load(provider.read_text(encoding="utf-8"))["providers"]
    assert any(p.get("options", {}).get("path") == "/var/lib/grafana/dashboards" for p in providers)
    sources = yaml.safe_load(datasource.read_text(encoding="utf-8"))["datasources"]
    prometheus = [s for s in sources if s.get("type") == "prometheus"]
    assert prometheus and prometheus[0]["url"].rstrip("/") == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in _compose()["services"]["prometheus"]["ports"]


# -------------------------------------------------------------------------------------------------- Triton


def _versions(tmp: Path) -> Path:
    versions = tmp / "versions"
    for version in ("1", "2"):
        (versions / version).mkdir(parents=True)
        (versions / version / "config.json").write_text("{}", encoding="utf-8")
        (versions / version / "model.safetensors").write_bytes(b"weights")
        (versions / version / "model.safetensors").chmod(0o600)
    return versions


def test_model_repository_holds_copies_and_swaps_versions_in_one_rename(tmp_path: Path) -> None:
    repo = _module(COMPOSE_DIR / "model_repository.py", "compose_model_repository")
    serve = _module(ROOT / "deploy" / "demo_model" / "serve_repository.py", "demo_serve_repository")
    versions, repository = _versions(tmp_path), tmp_path / "repo"
    model_dir = repo.init(versions, repository, ["1"])
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "config.pbtxt"]
    one = model_dir / "1"
    assert one.is_dir() and not one.is_symlink()  # a link would not resolve inside the container
    assert (one / "model.py").read_text() == (ROOT / "deploy" / "demo_model" / "triton_model.py").read_text()
    assert (one / "model.safetensors").stat().st_mode & 0o004  # readable by the container's user
    defaults = serve.parse_args(["--versions", str(versions)])
    assert (model_dir / "config.pbtxt").read_text() == serve.CONFIG_TEMPLATE.format(
        name="llava_demo", instances=defaults.instances, threads=defaults.torch_threads,
        default_max_tokens=defaults.default_max_tokens, max_tokens_limit=defaults.max_tokens_limit)
    repo.add_version(versions, repository, "2")
    assert repo.served_versions(repository) == ["1", "2"]
    with pytest.raises(repo.RepositoryError, match="already rolled out"):
        repo.add_version(versions, repository, "2")
    repo.remove_version(repository, "2")
    assert repo.served_versions(repository) == ["1"]
    with pytest.raises(repo.RepositoryError, match="the only one"):
        repo.remove_version(repository, "1")
    with pytest.raises(repo.RepositoryError, match=r"run train_versions\.py first"):
        repo.init(versions, repository, ["3"])
    # staging happens beside the repository, never inside it (Triton would read a folder there as a model)
    assert sorted(p.name for p in repository.iterdir()) == ["llava_demo"]


def test_triton_service_serves_the_mounted_repository_in_poll_mode() -> None:
    triton = _compose()["services"]["triton"]
    mounts = dict((t, s) for s, t in _binds(triton))
    flags = dict(a.split("=", 1) for a in triton["command"][1:])
    assert triton["command"][0] == "tritonserver"
    assert mounts[flags["--model-repository"]] == ROOT / "var" / "compose" / "triton-repo"
    assert flags["--model-control-mode"] == "poll"
    assert "/v2/health/ready" in " ".join(triton["healthcheck"]["test"])


def _served(http_port: int, model: str) -> list[str]:
    with contextlib.suppress(OSError, ValueError):
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/models/{model}", timeout=2) as reply:
            return [str(v) for v in json.loads(reply.read()).get("versions") or []]
    return []


@contextlib.contextmanager
def _compose_triton(repository: Path, tmp: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """tritonserver with the compose service's command, its repository mount at ``repository``; loopback ports."""
    sys.path.insert(0, str(ROOT / "tests"))
    from triton_server import _stop, free_ports

    serve = _module(ROOT / "deploy" / "demo_model" / "serve_repository.py", "demo_serve_repository")
    triton = _compose()["services"]["triton"]
    mount = next(t for s, t in _binds(triton) if s == ROOT / "var" / "compose" / "triton-repo")
    server = serve.install_server(tmp / "tritonserver")
    http, grpc, metrics = free_ports(3)
    command = [a.replace(mount, str(repository)) if a.startswith("--model-repository=") else a
               for a in triton["command"]]
    command[0] = str(server / "bin" / "tritonserver")
    command += [f"--backend-directory={server / 'backends'}", "--http-address=127.0.0.1", f"--http-port={http}",
                "--grpc-address=127.0.0.1", f"--grpc-port={grpc}", "--metrics-address=127.0.0.1",
                f"--metrics-port={metrics}"]
    log = tmp / "triton.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=serve.server_env(), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    regions: set[Path] = set()
    try:
        yield proc, http
        regions |= serve.shm_regions_in_use(proc.pid)
    except BaseException:
        print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        regions |= serve.shm_regions_in_use(proc.pid)
        _stop(proc, timeout_s=30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        serve.remove_shm_regions(regions)  # the Python backend's, should a stub not have removed its own


@pytest.mark.triton
def test_compose_triton_command_serves_the_demo_and_picks_up_a_roll_out(tmp_path: Path) -> None:
    missing = [m for m in ("pytriton", "torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (pip install -e '.[demo]')")
    sys.path.insert(0, str(ROOT / "tests"))
    from triton_repository import build_demo_versions

    repo = _module(COMPOSE_DIR / "model_repository.py", "compose_model_repository")
    versions = build_demo_versions()
    repository = tmp_path / "triton-repo"
    repo.init(versions, repository, ["1"])
    health = _compose()["services"]["triton"]["healthcheck"]["test"]
    assert health[0] == "CMD"
    with _compose_triton(repository, tmp_path) as (proc, http):
        check = [sys.executable if a == "python3" else a.replace("127.0.0.1:8000", f"127.0.0.1:{http}")
                 for a in health[1:]]
        deadline = time.monotonic() + 180
        while subprocess.run(check, capture_output=True, timeout=30, check=False).returncode != 0:
            assert proc.poll() is None, "tritonserver exited"
            assert time.monotonic() < deadline, "the compose healthcheck never passed"
            time.sleep(1)
        assert _served(http, "llava_demo") == ["1"]
        repo.add_version(versions, repository, "2")  # make compose-update
        deadline = time.monotonic() + 120
        while _served(http, "llava_demo") != ["2"]:
            assert time.monotonic() < deadline, f"still serving {_served(http, 'llava_demo')}"
            time.sleep(1)


# ------------------------------------------------------------------------------- the distributed profile


def test_distributed_config_loads_with_the_monitors_loader(tmp_path: Path) -> None:
    """The profile's config through monitor.config (what `config check` and `serve` use), with the compose secret
    where the containers have it: here a file in tmp_path stands for /run/secrets/postgres-password."""
    from monitor.config import load_config

    raw = yaml.safe_load(DISTRIBUTED_CONFIG.read_text(encoding="utf-8"))
    secret_path = raw["store"]["password"]["file"]
    secret = tmp_path / "postgres-password"
    secret.write_text("from-the-compose-secret\n", encoding="utf-8")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(DISTRIBUTED_CONFIG.read_text(encoding="utf-8").replace(secret_path, str(secret)),
                           encoding="utf-8")
    config = load_config(config_file)
    assert config.mode == "distributed"
    assert config.store.password is not None and config.store.password.reveal() == "from-the-compose-secret"
    assert [ep.name for ep in config.endpoints] == ["demo"]
    out = _ok(_run(_tool("trust-monitor"), "config", "check", config_file))
    assert out.strip().splitlines()[-1] == "ok"


def test_distributed_config_probes_the_same_demo_endpoint() -> None:
    single = yaml.safe_load(MONITOR_CONFIG.read_text(encoding="utf-8"))
    dist = yaml.safe_load(DISTRIBUTED_CONFIG.read_text(encoding="utf-8"))
    for section in ("suite", "slo", "endpoints", "server"):
        assert dist[section] == single[section], section
    assert dist["mode"] == "distributed" and "mode" not in single


def _service_secrets(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> secret name (short syntax: /run/secrets/<name>)."""
    out = {}
    for entry in service.get("secrets", []):
        name = entry if isinstance(entry, str) else entry["source"]
        target = name if isinstance(entry, str) else entry.get("target", name)
        out[target if target.startswith("/") else f"/run/secrets/{target}"] = name
    return out


def test_distributed_services_share_postgres_through_the_secret_never_a_literal() -> None:
    services = _compose()["services"]
    config = yaml.safe_load(DISTRIBUTED_CONFIG.read_text(encoding="utf-8"))
    url = urlsplit(config["store"]["url"])
    assert url.scheme == "postgresql" and url.password is None
    assert url.hostname == "postgres" and url.port == 5432
    postgres = services["postgres"]
    env = postgres["environment"]
    assert env["POSTGRES_USER"] == url.username and env["POSTGRES_DB"] == url.path.lstrip("/")
    assert "POSTGRES_PASSWORD" not in env  # from the secret file only
    postgres_secrets = _service_secrets(postgres)
    assert postgres_secrets[env["POSTGRES_PASSWORD_FILE"]] == "postgres-password"
    password_file = config["store"]["password"]["file"]
    for name in ("monitor-api", "monitor-worker"):
        assert _service_secrets(services[name])[password_file] == "postgres-password", name
    # the official image pinned by version, its data on a named volume, healthy only once it accepts connections
    assert re.fullmatch(r"postgres:\d+\.\d+", postgres["image"]), postgres["image"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert f"--username={url.username}" in postgres["healthcheck"]["test"]
    assert "ports" not in postgres  # reachable inside the compose network only


def test_distributed_roles_replicas_and_mounts() -> None:
    services = _compose()["services"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = json.loads(next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[4:])
    config = yaml.safe_load(DISTRIBUTED_CONFIG.read_text(encoding="utf-8"))
    for name, role, replicas in (("monitor-api", "api", 2), ("monitor-worker", "worker", 3)):
        service = services[name]
        assert service["command"] == [*cmd, "--role", role], name  # the image's CMD plus the role
        assert service["deploy"]["replicas"] == replicas, name
        mounts = dict((t, s) for s, t in _binds(service))
        assert mounts[cmd[cmd.index("--config") + 1]] == DISTRIBUTED_CONFIG, name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert service["depends_on"]["triton"]["condition"] == "service_healthy", name
    # every API replica gets a host port of its own for gRPC and HTTP, inside the container the config's ports
    api_ports = services["monitor-api"]["ports"]
    for listen in (config["server"]["grpc_listen"], config["server"]["http_listen"]):
        port = _port(listen)
        (published,) = [p for p in api_ports if p.endswith(f":{port}")]
        first, last = (int(x) for x in published.split(":")[1].split("-"))
        assert last - first + 1 == services["monitor-api"]["deploy"]["replicas"]
    assert "ports" not in services["monitor-worker"]  # scaled freely: no host port to collide


def test_prometheus_scrapes_every_replica_of_the_distributed_profile() -> None:
    variant = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = [j for j in variant["scrape_configs"] if j["job_name"] == "trust-monitor"]
    (sd,) = job["dns_sd_configs"]
    assert sd["type"] == "A"  # one record per container of a service in compose's DNS
    assert set(sd["names"]) == {"monitor-api", "monitor-worker"}
    config = yaml.safe_load(DISTRIBUTED_CONFIG.read_text(encoding="utf-8"))
    assert sd["port"] == _port(config["server"]["http_listen"]) == 9464
    services = _compose()["services"]
    assert all("distributed" in services[name].get("profiles", []) for name in sd["names"])
    # the single monitor stays a static target: without the profile nothing else changes
    assert job["static_configs"] == [{"targets": ["monitor:9464"]}]
