"""What the three dashboards share: the datasource, the variables, query and panel helpers, and the rendering to
committed JSON (stable key order, panel ids and query refIds assigned in order, so regenerating is byte-identical).

Every query names the Prometheus datasource through the ``datasource`` variable; the provisioned datasource
(dashboards/provisioning/datasources/prometheus.yml) has the uid ``DATASOURCE_UID``, the variable's default.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, Self, TypeVar

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE_UID = "trust-prometheus"
DATASOURCE_NAME = "Prometheus"
DS = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["trust-monitor"]
MONITOR_URL = "http://localhost:9464"  # the monitor's HTTP server (config server.http_listen)

# Dashboard uids: fixed, so links between the dashboards and bookmarks survive regeneration.
OVERVIEW_UID = "trust-overview"
DETAIL_UID = "trust-endpoint-detail"
HEALTH_UID = "trust-probe-health"

# Label matchers for the dashboard variables.
EP = 'endpoint=~"$endpoint"'
DIM = 'dimension=~"$dimension"'

# The metric the endpoint variable lists its values from: the monitor creates it at 0 for every configured
# endpoint at start-up, so an endpoint is selectable before its first run has finished.
ENDPOINT_SOURCE = "trust_model_changes_total"


def sel(metric: str, *matchers: str) -> str:
    """``metric{endpoint=~"$endpoint",matchers...}``."""
    return f"{metric}{{{','.join((EP, *matchers))}}}"


# ------------------------------------------------------------------------------------------------ queries


def query(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False,
          table: bool = False) -> prometheus.Dataquery:
    """A Prometheus query of the panel: a range query (graphs) unless ``instant`` (stats, bar gauges, tables)."""
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DS)
    if legend:
        q = q.legend_format(legend)
    q = q.instant() if instant or table else q.range()
    if table:
        q = q.format(PromQueryFormat.TABLE)
    return q


# ---------------------------------------------------------------------------------------------- variables


def datasource_variable() -> db.DatasourceVariable:
    return (db.DatasourceVariable("datasource").label("Data source").type("prometheus")
            .current(model.VariableOption(selected=True, text=DATASOURCE_NAME, value=DATASOURCE_UID)))


def endpoint_variable() -> db.QueryVariable:
    return (db.QueryVariable("endpoint").label("Endpoint").datasource(DS)
            .query(f"label_values({ENDPOINT_SOURCE}, endpoint)")
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(model.VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True)
            .current(model.VariableOption(selected=True, text="All", value="$__all")))


def dimension_variable() -> db.QueryVariable:
    return (db.QueryVariable("dimension").label("Dimension").datasource(DS)
            .query(f"label_values(trust_task_score{{{EP}}}, dimension)")
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(model.VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True)
            .current(model.VariableOption(selected=True, text="All", value="$__all")))


def monitor_url_variable() -> db.TextBoxVariable:
    return (db.TextBoxVariable("monitor_url").label("Monitor URL").default_value(MONITOR_URL)
            .current(model.VariableOption(selected=True, text=MONITOR_URL, value=MONITOR_URL))
            .description("Base URL of the monitor's HTTP server, for the links to its run pages"))


# -------------------------------------------------------------------------------------------------- links


def _link(title: str, url: str) -> db.DashboardLink:
    return db.DashboardLink(title).type(model.DashboardLinkType.LINK).url(url).target_blank(True)


def runs_link(endpoint: str | None = None) -> db.DashboardLink:
    """Panel link to the monitor's run list: every endpoint's, or one endpoint's (a row repeated per endpoint)."""
    if endpoint is None:
        return _link("Runs in the monitor", "${monitor_url}/runs")
    return _link(f"Runs of {endpoint}", f"${{monitor_url}}/runs?endpoint={endpoint}")


Links = list[cogbuilder.Builder[model.DashboardLink]]


def run_links(endpoint: str) -> Links:
    """Data links to the drill-down of an endpoint's newest run (the monitor's ``/runs/latest?endpoint=``; no
    metric carries a run id) and to its run list."""
    return [_link(f"Newest run of {endpoint}", f"${{monitor_url}}/runs/latest?endpoint={endpoint}"),
            _link(f"Runs of {endpoint}", f"${{monitor_url}}/runs?endpoint={endpoint}")]


def field_run_links() -> Links:
    """Data links of a series: the runs of the endpoint in the series' labels."""
    return run_links("${__field.labels.endpoint}")


def row_run_links() -> Links:
    """Data links of a table row (table-format queries carry the labels as columns): the runs of its endpoint."""
    return run_links("${__data.fields.endpoint}")


def field_detail_link() -> db.DashboardLink:
    """Data link of a series: the endpoint detail dashboard for the series' endpoint, same datasource and time."""
    return (db.DashboardLink("Endpoint detail of ${__field.labels.endpoint}").type(model.DashboardLinkType.LINK)
            .url(f"/d/{DETAIL_UID}?var-endpoint=${{__field.labels.endpoint}}&${{datasource:queryparam}}"
                 "&${monitor_url:queryparam}&${__url_time_range}"))


def dashboards_link() -> db.DashboardLink:
    """The top bar: every Trust Monitor dashboard, keeping the time range and the variables."""
    return (db.DashboardLink("Trust Monitor").type(model.DashboardLinkType.DASHBOARDS).tags(TAGS)
            .as_dropdown(True).include_vars(True).keep_time(True))


# ----------------------------------------------------------------------------------------- field settings


def thresholds(*steps: tuple[float | None, str]) -> db.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (from minus infinity)."""
    return (db.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE)
            .steps([model.Threshold(value=v, color=c) for v, c in steps]))


SCORE_THRESHOLDS = ((None, "red"), (0.5, "orange"), (0.8, "green"))  # display colours only, not the SLO


def value_text(mapping: dict[str, tuple[str, str]]) -> list[model.ValueMapping]:
    """Value → (text, colour) mappings."""
    return [model.ValueMap(options={k: model.ValueMappingResult(text=t, color=c, index=i)
                                    for i, (k, (t, c)) in enumerate(mapping.items())})]


VERDICT_MAPPING = {"0": ("ok", "green"), "1": ("regressed", "red")}


def prop(name: str, value: object) -> model.DynamicConfigValue:
    return model.DynamicConfigValue(id_val=name, value=value)


# ------------------------------------------------------------------------------------------------ panels


class PanelBuilder(Protocol):
    """The methods every panel builder of the SDK has in common."""

    def build(self) -> model.Panel: ...
    def title(self, title: str) -> Self: ...
    def description(self, description: str) -> Self: ...
    def datasource(self, datasource: model.DataSourceRef) -> Self: ...
    def span(self, w: int) -> Self: ...
    def height(self, h: int) -> Self: ...
    def targets(self, targets: list[cogbuilder.Builder[cogvariants.Dataquery]]) -> Self: ...
    def links(self, links: list[cogbuilder.Builder[model.DashboardLink]]) -> Self: ...


P = TypeVar("P", bound=PanelBuilder)


def panel(builder: P, title: str, description: str, targets: Sequence[prometheus.Dataquery], *, w: int, h: int,
          links: Iterable[db.DashboardLink] = ()) -> P:
    """Title, description, the datasource variable, size, queries and panel links of a panel."""
    return (builder.title(title).description(description).datasource(DS).span(w).height(h)
            .targets(list(targets)).links(list(links)))


class _PrometheusAnnotationQuery(model.AnnotationQuery):
    def __init__(self, extra: dict[str, object], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.extra = extra

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), **self.extra}


class PrometheusAnnotation(cogbuilder.Builder[model.AnnotationQuery]):
    """An annotation from a PromQL query. The SDK's AnnotationQuery lacks the Prometheus annotation fields (step,
    title and tag formats), so its JSON gets them added."""

    def __init__(self, name: str, expr: str, *, title: str, tag_keys: str, color: str, step: str = "60s") -> None:
        self._query = _PrometheusAnnotationQuery(
            {"step": step, "titleFormat": title, "tagKeys": tag_keys, "useValueForTime": False},
            name=name, datasource=DS, enable=True, hide=False, icon_color=color, expr=expr)

    def build(self) -> model.AnnotationQuery:
        return self._query


# ------------------------------------------------------------------------------------------------ render


def base(title: str, uid: str, description: str, *, time_from: str) -> db.Dashboard:
    """A dashboard with the shared settings: tags, refresh, shared crosshair, links to the other dashboards."""
    return (db.Dashboard(title).uid(uid).description(description).tags(TAGS).editable()
            .tooltip(model.DashboardCursorSync.CROSSHAIR).time(f"now-{time_from}", "now").refresh("1m")
            .timezone("browser").links([dashboards_link()]))


def add_row(dashboard: db.Dashboard, title: str, panels: Sequence[cogbuilder.Builder[model.Panel]], *,
            repeat: str | None = None) -> db.Dashboard:
    """An expanded row and its panels (placed left to right, top to bottom); ``repeat``: one row per value of that
    variable."""
    row = db.Row(title)
    dashboard = dashboard.with_row(row if repeat is None else row.repeat(repeat))
    for p in panels:
        dashboard = dashboard.with_panel(p)
    return dashboard


def render(dashboard: db.Dashboard) -> str:
    """The dashboard as committed JSON: sorted keys, two-space indent, panel ids 1..n in layout order."""
    data: dict[str, Any] = json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))
    next_id = 1
    for p in data.get("panels", []):
        for item in (p, *p.get("panels", [])):
            item["id"] = next_id
            next_id += 1
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
