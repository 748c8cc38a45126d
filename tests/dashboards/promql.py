"""Test helper: every PromQL expression of a dashboard JSON — panel targets, variable queries, annotations — and
Grafana's variable substitution, so the tests can run them through promtool and a real Prometheus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboards"
FILES = ("trust-overview.json", "endpoint-detail.json", "probe-health.json")

# label_values(<series selector>, <label>): Grafana lists the label's values over the selector's series
LABEL_VALUES = re.compile(r"^\s*label_values\((?P<selector>.+),\s*(?P<label>\w+)\s*\)\s*$", re.DOTALL)
# $name, ${name}, ${name:format}, [[name]]
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class Expression:
    dashboard: str  # file name
    where: str  # e.g. "panel 'Overall score' query A"
    expr: str  # as written in the dashboard (variables not substituted)
    label: str | None = None  # a variable's label_values label: results must carry it

    def __str__(self) -> str:
        return f"{self.dashboard}: {self.where}: {self.expr}"


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((DASHBOARD_DIR / name).read_text(encoding="utf-8")))


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows and the panels inside collapsed rows included."""
    for p in dashboard.get("panels", []):
        yield p
        yield from p.get("panels", [])


def expressions(name: str, dashboard: Mapping[str, Any]) -> list[Expression]:
    out: list[Expression] = []
    for p in panels(dashboard):
        for t in p.get("targets", []):
            out.append(Expression(name, f"panel {p['title']!r} query {t.get('refId')}", t["expr"]))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = LABEL_VALUES.match(q)
        if m:
            out.append(Expression(name, f"variable {v['name']}", m["selector"], label=m["label"]))
        else:
            out.append(Expression(name, f"variable {v['name']}", q))
    for a in dashboard.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append(Expression(name, f"annotation {a['name']!r}", a["expr"]))
    return out


def all_expressions() -> list[Expression]:
    return [e for name in FILES for e in expressions(name, load(name))]


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """Grafana's interpolation of the dashboard variables (and built-ins such as $__rate_interval)."""

    def one(m: re.Match[str]) -> str:
        name = m[1] or m[2] or m[3]
        if name not in values:
            raise KeyError(f"no value for variable ${name} in {expr!r}")
        return values[name]

    return VARIABLE.sub(one, expr)
