"""deploy/kubernetes: every manifest against the Kubernetes API schemas (kubernetes-validate, strict), the
Prometheus Operator objects against JSON schemas written from the operator's API reference (check-jsonschema),
the generated PrometheusRule (promtool on its groups, identical to the shipped rule file) and dashboard
ConfigMaps, the config in the ConfigMap (``config check``), and how the objects fit together."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
RULES = ROOT / "deploy" / "prometheus" / "rules" / "trust-alerts.yml"
BIN = Path(sys.executable).parent
# the oldest Kubernetes release still supported by the big providers, and the newest the validator knows
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
CRD_SCHEMAS = {"ServiceMonitor": SCHEMAS / "servicemonitor.schema.json",
               "PrometheusRule": SCHEMAS / "prometheusrule.schema.json"}
TIMEOUT_S = 120


def _load_generator() -> ModuleType:
    return load_script(K8S / "generate.py", "k8s_generate")


gen = _load_generator()


def _tool(name: str) -> str:
    path = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; `make test` installs it")
    return path


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False, env=env)


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


DISTRIBUTED = K8S / "distributed"
FOLDERS = {"single": K8S, "distributed": DISTRIBUTED}


class KustomizeError(Exception):
    pass


def _kustomization(folder: Path = K8S) -> dict[str, Any]:
    return yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))


def _resolve(folder: Path, visited: tuple[Path, ...] = ()) -> list[Path]:
    """Every file a kustomization lists, folders expanded, with kustomize's loading rules: a folder entry is a
    kustomization that must not be (or contain) a folder already being loaded ("cycle detected": an overlay
    cannot list a parent folder), and a file entry must lie in or below the listing kustomization's folder
    ("security; file ... is not in or below ...")."""
    folder = folder.resolve()
    for root in visited:
        if root == folder or root.is_relative_to(folder):
            raise KustomizeError(f"cycle detected: {folder} contains {root}, which lists it")
    files: list[Path] = []
    for entry in _kustomization(folder)["resources"]:
        path = (folder / entry).resolve()
        if path.is_dir():
            if not (path / "kustomization.yaml").is_file():
                raise KustomizeError(f"{folder}: {entry} is a folder without kustomization.yaml")
            files += _resolve(path, (*visited, folder))
        elif path.is_file():
            if not path.is_relative_to(folder):
                raise KustomizeError(f"{folder}: {entry} is a file outside the kustomization's folder")
            files.append(path)
        else:
            raise KustomizeError(f"{folder}: {entry} does not exist")
    return files


def _manifest_files(folder: Path = K8S) -> list[Path]:
    return _resolve(folder)


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


@functools.cache
def _objects(folder: Path = K8S) -> dict[str, dict[str, Any]]:
    """kind/name -> object, over every file the folder's kustomization lists (read once; never change what it
    returns). Two objects of one kind and name are an error, as in kustomize."""
    out: dict[str, dict[str, Any]] = {}
    for f in _manifest_files(folder):
        for d in _docs(f):
            key = f"{d['kind']}/{d['metadata']['name']}"
            if key in out:
                raise KustomizeError(f"{folder}: {key} is listed twice")
            out[key] = d
    return out


def _core_files(folder: Path = K8S) -> list[Path]:
    return [f for f in _manifest_files(folder) if all(d["kind"] not in CRD_SCHEMAS for d in _docs(f))]


def _crd_files(kind: str, folder: Path = K8S) -> list[Path]:
    return [f for f in _manifest_files(folder) if any(d["kind"] == kind for d in _docs(f))]


# --------------------------------------------------------------------------------------------------- the files


def test_kustomizations_list_every_manifest_and_nothing_else() -> None:
    single = {p.resolve() for p in _manifest_files(K8S)}
    distributed = {p.resolve() for p in _manifest_files(DISTRIBUTED)}
    on_disk = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert single | distributed == on_disk
    assert all(p.exists() for p in single | distributed)
    # what they share is what common/ and dashboards/ hold; nothing of one mode's own files is in the other
    shared = {p.resolve() for p in (K8S / "common").glob("*.yaml")} | {
        p.resolve() for p in (K8S / "dashboards").glob("*.yaml")}
    shared = {p for p in shared if p.name != "kustomization.yaml"}
    assert single & distributed == shared
    assert {p.parent for p in distributed - shared} == {DISTRIBUTED.resolve()}


def test_the_loader_follows_kustomize_rules(tmp_path: Path) -> None:
    """An overlay inside its base cannot list the base's folder (kustomize: cycle) nor its files (outside the
    root): the reason for common/. Checked with kubectl's kustomize too, where it is installed."""
    base = tmp_path / "base"
    (base / "over").mkdir(parents=True)
    (base / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", encoding="utf-8")
    (base / "kustomization.yaml").write_text("resources: [a.yaml]\n", encoding="utf-8")
    kubectl = shutil.which("kubectl")
    for entry, problem in (("..", "cycle detected"), ("../a.yaml", "outside the kustomization")):
        (base / "over" / "kustomization.yaml").write_text(f"resources: [{entry}]\n", encoding="utf-8")
        with pytest.raises(KustomizeError, match=problem):
            _resolve(base / "over")
        if kubectl is not None:
            assert _run(kubectl, "kustomize", base / "over").returncode != 0, entry
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    (sibling / "kustomization.yaml").write_text("resources: [../base]\n", encoding="utf-8")
    assert _resolve(sibling) == [(base / "a.yaml").resolve()]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("mode", sorted(FOLDERS))
def test_core_manifests_validate_against_the_kubernetes_api(version: str, mode: str) -> None:
    files = _core_files(FOLDERS[mode])
    kinds = {d["kind"] for f in files for d in _docs(f)}
    assert kinds >= {"Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
    assert ("PersistentVolumeClaim" if mode == "single" else "StatefulSet") in kinds
    out = _ok(_run(_tool("kubernetes-validate"), "--strict", "-k", version, *files))
    assert out.count("passed") == sum(len(_docs(f)) for f in files)


def test_kubernetes_validate_catches_a_misspelt_field(tmp_path: Path) -> None:
    broken = tmp_path / "deployment.yaml"
    broken.write_text((K8S / "deployment.yaml").read_text(encoding="utf-8").replace(
        "readinessProbe:", "readynessProbe:"), encoding="utf-8")
    proc = _run(_tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSIONS[-1], broken)
    assert proc.returncode != 0 and "readynessProbe" in proc.stdout + proc.stderr


def test_operator_schemas_are_valid_json_schemas() -> None:
    _ok(_run(_tool("check-jsonschema"), "--check-metaschema", *CRD_SCHEMAS.values()))


@pytest.mark.parametrize("mode", sorted(FOLDERS))
@pytest.mark.parametrize("kind", sorted(CRD_SCHEMAS))
def test_operator_objects_validate_against_their_schema(kind: str, mode: str) -> None:
    files = _crd_files(kind, FOLDERS[mode])
    assert files, f"no {kind} in the kustomization"
    _ok(_run(_tool("check-jsonschema"), "--schemafile", CRD_SCHEMAS[kind], *files))


@pytest.mark.parametrize(("kind", "before", "after"), [
    ("ServiceMonitor", "interval: 15s", "intervall: 15s"),
    ("PrometheusRule", "keep_firing_for:", "keepFiringFor:"),
    ("PrometheusRule", "for: 30m", "for: 30 minutes"),
])
def test_operator_schemas_catch_mistakes(tmp_path: Path, kind: str, before: str, after: str) -> None:
    (source,) = _crd_files(kind)
    text = source.read_text(encoding="utf-8")
    assert before in text
    broken = tmp_path / source.name
    broken.write_text(text.replace(before, after, 1), encoding="utf-8")
    proc = _run(_tool("check-jsonschema"), "--schemafile", CRD_SCHEMAS[kind], broken)
    assert proc.returncode != 0, proc.stdout


@pytest.mark.parametrize("mode", sorted(FOLDERS))
def test_kustomize_renders_the_folder(tmp_path: Path, mode: str) -> None:
    """kubectl's built-in kustomize, where this machine has kubectl (the project does not install it)."""
    folder = FOLDERS[mode]
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the manifests are validated file by file above")
    proc = _run(kubectl, "kustomize", folder)
    if proc.returncode != 0 and "unknown command" in proc.stderr:
        pytest.skip(f"this kubectl has no kustomize: {proc.stderr.strip()[:200]}")
    _ok(proc)
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    assert {f"{d['kind']}/{d['metadata']['name']}" for d in docs} == set(_objects(folder))
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"trust-monitor"}
    pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"]
    images = {c["image"] for pod in pods for c in pod["containers"]}
    image = _kustomization(folder)["images"][0]
    assert images == {f"{image['newName']}:{image['newTag']}"}
    out = tmp_path / "rendered.yaml"
    out.write_text(yaml.safe_dump_all([d for d in docs if d["kind"] not in CRD_SCHEMAS]), encoding="utf-8")
    _ok(_run(_tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSIONS[-1], out))


# ------------------------------------------------------------------------------------------- generated files


def test_generated_files_are_current() -> None:
    proc = _run(sys.executable, K8S / "generate.py", "--check")
    assert proc.returncode == 0, f"{proc.stderr}\nrun: python deploy/kubernetes/generate.py"


def test_check_mode_sees_edits_and_stale_dashboards(tmp_path: Path) -> None:
    dashboards, out = tmp_path / "dashboards", tmp_path / "k8s"
    dashboards.mkdir()
    (dashboards / "one.json").write_text('{"title": "One"}\n', encoding="utf-8")
    args = ["--rules", str(RULES), "--dashboards", str(dashboards), "--out", str(out)]
    assert gen.main([*args, "--check"]) == 1  # nothing written yet
    assert gen.main(args) == 0
    assert gen.main([*args, "--check"]) == 0
    rule = out / "common" / "prometheusrule.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("for: 30m", "for: 31m"), encoding="utf-8")
    assert gen.main([*args, "--check"]) == 1  # edited by hand
    assert gen.main(args) == 0
    (dashboards / "one.json").unlink()
    assert gen.main([*args, "--check"]) == 1  # a ConfigMap whose dashboard is gone
    assert gen.main(args) == 0
    assert not (out / "dashboards" / "one.yaml").exists()
    assert yaml.safe_load((out / "dashboards" / "kustomization.yaml").read_text())["resources"] == []


def test_no_dashboards_yet_is_said_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--rules", str(RULES), "--dashboards", str(tmp_path / "none"), "--out", str(tmp_path / "k8s")]
    assert gen.main(args) == 0
    assert "no dashboards in" in capsys.readouterr().err
    assert gen.main([*args, "--check"]) == 0


def test_generator_refuses_a_dashboard_that_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert gen.main(["--dashboards", str(tmp_path), "--out", str(tmp_path / "k8s")]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_prometheus_rule_holds_exactly_the_shipped_rule_file() -> None:
    (rule,) = [d for f in _crd_files("PrometheusRule") for d in _docs(f)]
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]


def test_prometheus_rule_groups_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed; `make test` installs it (make system-deps)")
    (rule,) = [d for f in _crd_files("PrometheusRule") for d in _docs(f)]
    extracted = tmp_path / "groups.yml"
    extracted.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False), encoding="utf-8")
    out = _ok(_run(promtool, "check", "rules", extracted))
    assert "SUCCESS" in out


def test_dashboard_configmaps_carry_the_dashboards_for_the_sidecar() -> None:
    dashboards = sorted((ROOT / "dashboards").glob("*.json"))
    maps = [d for d in _objects().values() if d["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    assert len(maps) == len(dashboards)
    by_file = {name: text for m in maps for name, text in m["data"].items()}
    for dashboard in dashboards:
        assert by_file[dashboard.name] == dashboard.read_text(encoding="utf-8")
        json.loads(by_file[dashboard.name])
    for m in maps:
        assert m["kind"] == "ConfigMap" and m["metadata"]["annotations"]["grafana_folder"]


# ---------------------------------------------------------------------------------------- how it fits together


def _deployment() -> dict[str, Any]:
    return _objects()["Deployment/trust-monitor"]


def _container() -> dict[str, Any]:
    (container,) = _deployment()["spec"]["template"]["spec"]["containers"]
    return container


def _config_text() -> str:
    return str(_objects()["ConfigMap/trust-monitor-config"]["data"]["config.yaml"])


def _env_refs(config: Any) -> set[str]:
    if isinstance(config, dict):
        found = {config["env"]} if set(config) == {"env"} else set()
        return found.union(*(_env_refs(v) for v in config.values()))
    if isinstance(config, list):
        return set().union(*(_env_refs(v) for v in config))
    return set()


def test_configmap_config_passes_config_check(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(_config_text(), encoding="utf-8")
    refs = _env_refs(yaml.safe_load(_config_text()))
    assert refs, "the example should show secret references"
    env = {**os.environ, **{name: "set-from-the-secret" for name in refs}}
    out = _ok(_run(_tool("trust-monitor"), "config", "check", config, env=env))
    assert out.strip().splitlines()[-1] == "ok"
    # and without the Secret's values it says so before deploying
    bare = {k: v for k, v in os.environ.items() if k not in refs}
    proc = _run(_tool("trust-monitor"), "config", "check", config, env=bare)
    assert proc.returncode != 0 and "is not set" in proc.stdout + proc.stderr


def test_every_secret_reference_comes_from_a_secret_never_a_literal() -> None:
    refs = _env_refs(yaml.safe_load(_config_text()))
    env = {e["name"]: e for e in _container()["env"]}
    assert refs <= set(env)
    for name in refs:
        assert "value" not in env[name] and "secretKeyRef" in env[name]["valueFrom"], name
    assert not [o for o in _objects().values() if o["kind"] == "Secret"], "no Secret object is shipped"


def test_config_is_mounted_where_the_container_reads_it() -> None:
    args = _container()["args"]
    path = Path(args[args.index("--config") + 1])
    mount = next(m for m in _container()["volumeMounts"] if m["name"] == "config")
    assert Path(mount["mountPath"]) == path.parent
    volume = next(v for v in _deployment()["spec"]["template"]["spec"]["volumes"] if v["name"] == "config")
    configmap = _objects()[f"ConfigMap/{volume['configMap']['name']}"]
    assert path.name in configmap["data"]


def test_probes_ports_and_service_match_the_config() -> None:
    server = yaml.safe_load(_config_text())["server"]
    ports = {p["name"]: p["containerPort"] for p in _container()["ports"]}
    assert ports["metrics"] == int(server["http_listen"].rsplit(":", 1)[1])
    assert ports["grpc"] == int(server["grpc_listen"].rsplit(":", 1)[1])
    container = _container()
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    service = _objects()["Service/trust-monitor"]
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports)
    monitor = _objects()["ServiceMonitor/trust-monitor"]
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= {p["name"] for p in service["spec"]["ports"]}
    assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])


def test_selectors_find_the_pod() -> None:
    labels = _deployment()["spec"]["template"]["metadata"]["labels"]
    selectors = [
        _deployment()["spec"]["selector"]["matchLabels"],
        _objects()["Service/trust-monitor"]["spec"]["selector"],
        _objects()["PodDisruptionBudget/trust-monitor"]["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= labels.items()
    service_labels = _objects()["Service/trust-monitor"]["metadata"]["labels"]
    scrape = _objects()["ServiceMonitor/trust-monitor"]["spec"]["selector"]["matchLabels"]
    assert scrape.items() <= service_labels.items()


def test_pod_runs_non_root_with_limits() -> None:
    pod = _deployment()["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    uid = re.search(r"^ARG UID=(\d+)$", dockerfile, re.MULTILINE)
    assert uid and pod["securityContext"]["runAsUser"] == int(uid.group(1))
    container = _container()
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    # the store and /tmp are the only writable places, and the store is the claim
    writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
    store = yaml.safe_load(_config_text())["store"]["url"].removeprefix("sqlite:///")
    assert writable == {"/tmp", str(Path(store).parent)}


def test_single_replica_with_a_budget_that_lets_drains_through() -> None:
    assert _deployment()["spec"]["replicas"] == 1
    assert _deployment()["spec"]["strategy"]["type"] == "Recreate"
    pdb = _objects()["PodDisruptionBudget/trust-monitor"]["spec"]
    assert pdb.get("maxUnavailable") == 1 and "minAvailable" not in pdb


# ------------------------------------------------------------------------------- the distributed overlay


def _dist(key: str) -> dict[str, Any]:
    return _objects(DISTRIBUTED)[key]


def _dist_config_text() -> str:
    return str(_dist("ConfigMap/trust-monitor-distributed-config")["data"]["config.yaml"])


def _dist_pods() -> dict[str, dict[str, Any]]:
    """role -> pod spec, over the overlay's Deployments and StatefulSets."""
    return {o["metadata"]["labels"]["app.kubernetes.io/component"]: o["spec"]["template"]["spec"]
            for o in _objects(DISTRIBUTED).values() if o["kind"] in ("Deployment", "StatefulSet")}


def _dist_container(role: str) -> dict[str, Any]:
    (container,) = _dist_pods()[role]["containers"]
    return container


def test_distributed_config_loads_with_the_monitors_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ConfigMap's config through monitor.config (what `config check` and `serve` use), as every pod loads it:
    with the Secrets' variables set. Needs `mode: distributed` in monitor/config.py (issue 15)."""
    from monitor.config import ConfigError, load_config

    raw = yaml.safe_load(_dist_config_text())
    refs = _env_refs(raw)
    assert {"TRUST_MONITOR_PG_PASSWORD", "TRUST_MONITOR_TOKEN", "OPENAI_API_KEY"} <= refs
    for name in refs:
        monkeypatch.setenv(name, "set-from-the-secret")
    path = tmp_path / "config.yaml"
    path.write_text(_dist_config_text(), encoding="utf-8")
    config = load_config(path)
    assert config.mode == "distributed"
    assert config.store.url.startswith("postgresql://")
    assert config.store.password is not None and config.store.password.reveal() == "set-from-the-secret"
    assert [ep.name for ep in config.endpoints] == [ep["name"] for ep in raw["endpoints"]]
    # without the Secret it says so before deploying, as for the single-process config
    monkeypatch.delenv("TRUST_MONITOR_PG_PASSWORD")
    with pytest.raises(ConfigError, match="TRUST_MONITOR_PG_PASSWORD is not set"):
        load_config(path)


def test_distributed_config_probes_what_the_single_one_does() -> None:
    """The same example endpoints, suite and SLOs as configmap.yaml: only how it runs differs (and budget_usd,
    which distributed mode refuses: a run's shards spend on several workers)."""
    single, dist = yaml.safe_load(_config_text()), yaml.safe_load(_dist_config_text())
    for section in ("suite", "slo"):
        assert dist[section] == single[section], section
    assert dist["endpoints"] == [{k: v for k, v in ep.items() if k != "budget_usd"} for ep in single["endpoints"]]
    assert dist["server"] == single["server"]
    assert dist["mode"] == "distributed" and "mode" not in single


def test_distributed_store_is_the_postgres_service_and_no_password_is_written() -> None:
    store = yaml.safe_load(_dist_config_text())["store"]
    url = urlsplit(store["url"])
    assert url.scheme == "postgresql" and url.password is None and url.username
    assert store["password"] == {"env": "TRUST_MONITOR_PG_PASSWORD"}
    service = _dist(f"Service/{url.hostname}")
    assert url.port in {p["port"] for p in service["spec"]["ports"]}
    database = _dist("StatefulSet/trust-monitor-postgres")
    assert database["spec"]["serviceName"] == url.hostname
    assert service["spec"]["selector"].items() <= database["spec"]["template"]["metadata"]["labels"].items()
    (container,) = database["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["POSTGRES_USER"]["value"] == url.username
    assert env["POSTGRES_DB"]["value"] == url.path.lstrip("/")
    # the database's password and the monitor's come from the one Secret key, never from a literal
    monitor_env = {e["name"]: e for e in _dist_container("api")["env"]}
    assert env["POSTGRES_PASSWORD"]["valueFrom"] == monitor_env["TRUST_MONITOR_PG_PASSWORD"]["valueFrom"]
    assert "value" not in env["POSTGRES_PASSWORD"]
    image = container["image"]
    assert image.startswith("postgres:") and re.fullmatch(r"postgres:\d+\.\d+", image), image
    claims = database["spec"]["volumeClaimTemplates"]
    data = next(m for m in container["volumeMounts"] if m["name"] == claims[0]["metadata"]["name"])
    pgdata = Path(env["PGDATA"]["value"])
    assert pgdata.parent == Path(data["mountPath"])  # a folder inside the claim (lost+found)
    probes = [container[p]["exec"]["command"] for p in ("startupProbe", "livenessProbe", "readinessProbe")]
    assert all(c[0] == "pg_isready" for c in probes)


def test_distributed_roles_replicas_and_probes() -> None:
    api, worker = _dist("Deployment/trust-monitor-api"), _dist("Deployment/trust-monitor-worker")
    assert api["spec"]["replicas"] == 2 and worker["spec"]["replicas"] == 3
    for deployment, role in ((api, "api"), (worker, "worker")):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        args = container["args"]
        assert args[0] == "serve" and args[args.index("--role") + 1] == role
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
        server = yaml.safe_load(_dist_config_text())["server"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == int(server["http_listen"].rsplit(":", 1)[1])
        # the config is mounted where the container reads it
        path = Path(args[args.index("--config") + 1])
        mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
        assert Path(mount["mountPath"]) == path.parent and mount["readOnly"] is True
        volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "config")
        assert path.name in _dist(f"ConfigMap/{volume['configMap']['name']}")["data"]
        assert not [v for v in deployment["spec"]["template"]["spec"]["volumes"] if "persistentVolumeClaim" in v]
    api_ports = {p["name"]: p["containerPort"] for p in _dist_container("api")["ports"]}
    assert api_ports["grpc"] == int(yaml.safe_load(_dist_config_text())["server"]["grpc_listen"].rsplit(":", 1)[1])
    assert "grpc" not in {p["name"] for p in _dist_container("worker")["ports"]}  # workers serve no gRPC


def test_distributed_budgets_and_services_select_their_own_pods() -> None:
    pods = {role: _dist(f"Deployment/trust-monitor-{role}")["spec"]["template"]["metadata"]["labels"]
            for role in ("api", "worker")}
    database = _dist("StatefulSet/trust-monitor-postgres")["spec"]["template"]["metadata"]["labels"]
    for role, labels in pods.items():
        other = pods["worker" if role == "api" else "api"]
        for selector in (_dist(f"Deployment/trust-monitor-{role}")["spec"]["selector"]["matchLabels"],
                         _dist(f"Service/trust-monitor-{role}")["spec"]["selector"],
                         _dist(f"PodDisruptionBudget/trust-monitor-{role}")["spec"]["selector"]["matchLabels"]):
            assert selector.items() <= labels.items()
            assert not selector.items() <= other.items() and not selector.items() <= database.items()
    budget = _dist("PodDisruptionBudget/trust-monitor-worker")["spec"]
    assert budget["maxUnavailable"] == 1 and "minAvailable" not in budget  # one at a time, at any worker count


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        present, value = expr["key"] in labels, labels.get(expr["key"])
        ok = {"In": present and value in expr.get("values", []),
              "NotIn": not present or value not in expr.get("values", []),
              "Exists": present, "DoesNotExist": not present}[expr["operator"]]
        if not ok:
            return False
    return True


def test_distributed_scrape_covers_every_api_replica_and_worker_and_nothing_else() -> None:
    monitor = _dist("ServiceMonitor/trust-monitor-distributed")["spec"]
    services = {k: o for k, o in _objects(DISTRIBUTED).items() if o["kind"] == "Service"}
    scraped = {k for k, o in services.items() if _selects(monitor["selector"], o["metadata"]["labels"])}
    assert scraped == {"Service/trust-monitor-api", "Service/trust-monitor-worker"}
    (endpoint,) = monitor["endpoints"]
    assert endpoint["path"] == "/metrics"
    for key in scraped:
        assert endpoint["port"] in {p["name"] for p in services[key]["spec"]["ports"]}
    assert monitor["jobLabel"] == "app.kubernetes.io/name"  # job="trust-monitor", as with one process
    # each pod is its own target (the Operator scrapes a Service's endpoints): the workers' Service is headless
    assert services["Service/trust-monitor-worker"]["spec"]["clusterIP"] == "None"
    # the single-process ServiceMonitor would not pick these pods up, nor this one the single-process pod
    single = _objects()["ServiceMonitor/trust-monitor"]["spec"]["selector"]
    assert not _selects(single, services["Service/trust-monitor-api"]["metadata"]["labels"])
    assert not _selects(monitor["selector"], _objects()["Service/trust-monitor"]["metadata"]["labels"])


def test_distributed_secret_references_come_from_secrets_in_every_pod() -> None:
    """Both roles load the whole config, so each pod needs every reference; no Secret object is shipped."""
    refs = _env_refs(yaml.safe_load(_dist_config_text()))
    for role in ("api", "worker"):
        env = {e["name"]: e for e in _dist_container(role)["env"]}
        assert refs <= set(env), role
        for name in refs:
            assert "value" not in env[name] and "secretKeyRef" in env[name]["valueFrom"], (role, name)
    assert not [o for o in _objects(DISTRIBUTED).values() if o["kind"] == "Secret"]


def test_distributed_pods_meet_the_restricted_pod_security_standard() -> None:
    namespace = _dist("Namespace/trust-monitor")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"
    for role, pod in _dist_pods().items():
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] != 0, role
        assert context["seccompProfile"]["type"] == "RuntimeDefault", role
        assert pod["automountServiceAccountToken"] is False, role
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, role
            assert security["readOnlyRootFilesystem"] is True, role
            assert security["capabilities"]["drop"] == ["ALL"], role
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), role


def test_distributed_overlay_shares_the_generated_objects_unchanged() -> None:
    for key, obj in _objects().items():
        if obj["kind"] in ("Namespace", "ServiceAccount", "PrometheusRule") or \
                obj["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            assert _objects(DISTRIBUTED)[key] == obj, key
    assert _kustomization(DISTRIBUTED)["images"] == _kustomization()["images"]
    assert _kustomization(DISTRIBUTED)["namespace"] == _kustomization()["namespace"]
