"""The committed dashboards are the generator's output, and every panel is wired the way Grafana needs it: through
the datasource variable, with unique ids and uids, titles, PromQL that parses, and only metric names the monitor
exports or the shipped rules record. Their queries are run against a real Prometheus in
tests/integration/test_dashboards.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import generate
from dashboards.common import DATASOURCE_UID, DETAIL_UID, HEALTH_UID, MONITOR_URL, OVERVIEW_UID
from dashboards.probe_health import ERROR_SHARE
from monitor.metrics import Metrics
from probes.catalogue import all_tasks
from tests.dashboards.promql import DASHBOARD_DIR, FILES, all_expressions, load, panels, substitute
from tests.promstack import binary

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "trust-alerts.yml"
PROVISIONING = DASHBOARD_DIR / "provisioning"
DS_VARIABLE = {"type": "prometheus", "uid": "${datasource}"}
SAMPLE_VALUES = {"endpoint": "(demo|vendor)", "dimension": "(safety)", "__rate_interval": "1m", "__range": "1h",
                 "__interval": "15s"}


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in FILES}


def test_committed_files_are_the_generators_output(tmp_path: Path) -> None:
    assert set(generate.DASHBOARDS) == set(FILES)
    assert generate.main(["--check"]) == 0
    first, second = generate.rendered(), generate.rendered()
    assert first == second  # deterministic
    for name, text in first.items():
        assert (DASHBOARD_DIR / name).read_text(encoding="utf-8") == text


def test_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    assert generate.main(["--out-dir", str(tmp_path)]) == 0
    assert generate.main(["--check", "--out-dir", str(tmp_path)]) == 0
    stale = tmp_path / FILES[0]
    stale.write_text(stale.read_text().replace("Trust overview", "Trust overview (edited by hand)"))
    assert generate.main(["--check", "--out-dir", str(tmp_path)]) == 1


def test_script_entry_point_checks() -> None:
    proc = subprocess.run([sys.executable, "dashboards/generate.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_uids_titles_and_ids(dashboards: dict[str, dict[str, Any]]) -> None:
    uids = {name: d["uid"] for name, d in dashboards.items()}
    assert uids == {"trust-overview.json": OVERVIEW_UID, "endpoint-detail.json": DETAIL_UID,
                    "probe-health.json": HEALTH_UID}
    for name, d in dashboards.items():
        assert d["title"] and d["schemaVersion"] >= 39, name
        assert "trust-monitor" in d["tags"]
        ids = [p["id"] for p in panels(d)]
        assert len(ids) == len(set(ids)) and 0 not in ids, name
        for p in panels(d):
            assert p.get("title"), (name, p)
            assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24, (name, p["title"])
            refs = [t["refId"] for t in p.get("targets", [])]
            assert len(refs) == len(set(refs)) and all(refs), (name, p["title"], refs)


def test_every_panel_and_query_uses_the_datasource_variable(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, d in dashboards.items():
        variables = {v["name"]: v for v in d["templating"]["list"]}
        ds = variables["datasource"]
        assert (ds["type"], ds["query"], ds["current"]["value"]) == ("datasource", "prometheus", DATASOURCE_UID)
        for p in panels(d):
            if p["type"] == "row":
                continue
            assert p["datasource"] == DS_VARIABLE, (name, p["title"])
            assert p["targets"], (name, p["title"])
            for t in p["targets"]:
                assert t["datasource"] == DS_VARIABLE and t["expr"].strip(), (name, p["title"])
        for v in variables.values():
            if v["type"] == "query":
                assert v["datasource"] == DS_VARIABLE, (name, v["name"])
        for a in d["annotations"].get("list", []):
            assert a["datasource"] == DS_VARIABLE, (name, a["name"])


def test_variables(dashboards: dict[str, dict[str, Any]]) -> None:
    for name, d in dashboards.items():
        variables = {v["name"]: v for v in d["templating"]["list"]}
        endpoint = variables["endpoint"]
        assert endpoint["type"] == "query" and endpoint["multi"] and endpoint["includeAll"], name
        assert endpoint["query"].startswith("label_values(trust_"), name
        url = variables["monitor_url"]
        assert url["type"] == "textbox" and url["query"] == MONITOR_URL, name
    detail = {v["name"]: v for v in dashboards["endpoint-detail.json"]["templating"]["list"]}
    assert detail["dimension"]["multi"] and detail["dimension"]["includeAll"]


def test_every_expression_parses(tmp_path: Path) -> None:
    """promtool parses every expression (variables substituted) as the expression of a recording rule."""
    promtool = binary("promtool")
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard:expression_{i}:check", "expr": substitute(e.expr, SAMPLE_VALUES)}
        for i, e in enumerate(all_expressions())]}]}
    path = tmp_path / "dashboard-expressions.rules.yml"
    path.write_text(yaml.safe_dump(rules))
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _exported_names() -> set[str]:
    names: set[str] = set()
    for family in Metrics().registry.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ("",))
        names.update(family.name + s for s in suffixes)
    return names


def test_only_exported_metrics_and_recorded_series() -> None:
    """No invented metric: every trust_* name is exported by monitor/metrics.py, every level:metric:operation name
    is recorded by the shipped rules."""
    recorded = {r["record"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "record" in r}
    exported = _exported_names()
    used_trust: set[str] = set()
    used_recorded: set[str] = set()
    for e in all_expressions():
        used_trust.update(re.findall(r"(?<![\w:])trust_\w+", e.expr))
        used_recorded.update(re.findall(r"\b[a-z_]+:trust_\w+:\w+\b", e.expr))
    assert used_trust - exported == set()
    assert used_recorded - recorded == set()
    # the dashboards read the recorded series where the rules have them
    for name in ("endpoint:trust_probe_error_share:ratio_rate5m", "endpoint:trust_probe_latency_seconds:p95_rate5m",
                 "endpoint_dimension:trust_slo_margin:diff", "endpoint:trust_last_run_age_seconds:time",
                 "endpoint:trust_run_duration_seconds:mean1h", "endpoint_kind:trust_tokens:increase1h"):
        assert name in used_recorded, name


def test_error_share_line_is_the_alerts_threshold() -> None:
    text = RULES.read_text()
    assert f"error_share={ERROR_SHARE:g} " in text


def test_confidence_bands_cover_every_task(dashboards: dict[str, dict[str, Any]]) -> None:
    """The band panel fills each task's '<task> high' series down to its '<task> low' series."""
    bands = next(p for p in panels(dashboards["endpoint-detail.json"]) if "95% intervals" in p["title"])
    assert {t["legendFormat"] for t in bands["targets"]} == {"{{task}}", "{{task}} low", "{{task}} high"}
    fills = {}
    for o in bands["fieldConfig"]["overrides"]:
        for prop in o["properties"]:
            if prop["id"] == "custom.fillBelowTo":
                fills[o["matcher"]["options"]] = prop["value"]
    assert fills == {f"{t} high": f"{t} low" for t in all_tasks()}
    assert bands["repeat"] == "dimension"


def test_links_reach_the_monitor_and_the_detail_dashboard(dashboards: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(dashboards)
    assert "${monitor_url}/runs?endpoint=${__field.labels.endpoint}" in text
    assert "${monitor_url}/runs/latest?endpoint=${__field.labels.endpoint}" in text
    assert "${monitor_url}/runs?endpoint=${__data.fields.endpoint}" in text
    assert f"/d/{DETAIL_UID}?var-endpoint=${{__field.labels.endpoint}}" in text
    for name, d in dashboards.items():
        assert any(link["type"] == "dashboards" for link in d["links"]), name


def test_model_change_annotation(dashboards: dict[str, dict[str, Any]]) -> None:
    annotations = {a["name"]: a for a in dashboards["endpoint-detail.json"]["annotations"]["list"]}
    assert "trust_model_changes_total" in annotations["Model changes"]["expr"]
    assert annotations["Model changes"]["titleFormat"] and annotations["Model changes"]["step"]


def test_provisioning_matches_the_dashboards() -> None:
    datasources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    [ds] = datasources["datasources"]
    assert (ds["uid"], ds["type"]) == (DATASOURCE_UID, "prometheus")
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "trust-monitor.yml").read_text())
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == "/var/lib/grafana/dashboards"
