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


def _kustomization(folder: Path = K8S) -> dict[str, Any]:
    return yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))


def _manifest_files() -> list[Path]:
    """Every file the kustomization lists, folders (the generated dashboards) expanded."""
    files: list[Path] = []
    for entry in _kustomization()["resources"]:
        path = K8S / entry
        if path.is_dir():
            files += [path / e for e in _kustomization(path)["resources"]]
        else:
            files.append(path)
    return files


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


@functools.cache
def _objects() -> dict[str, dict[str, Any]]:
    """kind/name -> object, over every listed manifest (read once; never change what it returns)."""
    return {f"{d['kind']}/{d['metadata']['name']}": d for f in _manifest_files() for d in _docs(f)}


def _core_files() -> list[Path]:
    return [f for f in _manifest_files() if all(d["kind"] not in CRD_SCHEMAS for d in _docs(f))]


def _crd_files(kind: str) -> list[Path]:
    return [f for f in _manifest_files() if any(d["kind"] == kind for d in _docs(f))]


# --------------------------------------------------------------------------------------------------- the files


def test_kustomization_lists_every_manifest_and_nothing_else() -> None:
    listed = {p.resolve() for p in _manifest_files()}
    on_disk = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert listed == on_disk
    assert all(p.exists() for p in listed)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_core_manifests_validate_against_the_kubernetes_api(version: str) -> None:
    files = _core_files()
    kinds = {d["kind"] for f in files for d in _docs(f)}
    assert kinds >= {"Namespace", "ServiceAccount", "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service",
                     "PodDisruptionBudget"}
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


@pytest.mark.parametrize("kind", sorted(CRD_SCHEMAS))
def test_operator_objects_validate_against_their_schema(kind: str) -> None:
    files = _crd_files(kind)
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


def test_kustomize_renders_the_folder(tmp_path: Path) -> None:
    """kubectl's built-in kustomize, where this machine has kubectl (the project does not install it)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the manifests are validated file by file above")
    proc = _run(kubectl, "kustomize", K8S)
    if proc.returncode != 0 and "unknown command" in proc.stderr:
        pytest.skip(f"this kubectl has no kustomize: {proc.stderr.strip()[:200]}")
    _ok(proc)
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    assert len(docs) == len(_objects())
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"trust-monitor"}
    pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"]
    images = {c["image"] for pod in pods for c in pod["containers"]}
    image = _kustomization()["images"][0]
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
    rule = out / "prometheusrule.yaml"
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
