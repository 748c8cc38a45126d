"""Pages from templates (Jinja2, autoescaping on). Jinja2 is imported on the first page, not with the service.

Two modes: ``live`` pages link to each other, load images from the monitor and carry forms; an ``export`` is one
self-contained file: every task's samples, images inlined once each (as CSS classes holding data: URIs, so an
image shown with many samples is stored once), filters done in CSS, no links back to the server, no forms.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from markupsafe import Markup

from monitor.web import views
from monitor.web.radar import radar_svg

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The pages load nothing from anywhere else: no script at all, styles inline, images from the monitor or inlined.
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
EXPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{100 * low:.1f}, {100 * high:.1f}]"


def points(value: float | None) -> str:
    return "" if value is None else f"{100 * value:+.1f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def score_text(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


class Renderer:
    def __init__(self) -> None:
        self._env: Environment | None = None

    @property
    def env(self) -> Environment:
        if self._env is None:
            from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

            env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(("html",)),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
            env.filters.update(pct=pct, interval=interval, points=points, duration=duration, when=views.when,
                               score=score_text)
            env.globals.update(FILTERS=views.FILTERS)
            self._env = env
        return self._env

    def page(self, template: str, **context: Any) -> str:
        context.setdefault("export", False)
        context.setdefault("principal", None)
        context.setdefault("csrf", "")
        context.setdefault("csp", CSP)
        return self.env.get_template(template).render(**context)

    # -- the pages ----------------------------------------------------------------------------------------
    def runs(self, view: views.RunsView, **context: Any) -> str:
        def page_url(page: int) -> str:
            return url("/runs", endpoint=view.endpoint, page=page if page > 1 else None)

        return self.page("runs.html", view=view, page_url=page_url, run_url=run_url, **context)

    def run(self, view: views.RunView, *, suite_version: str, can_review: bool = False, review_note: str = "",
            **context: Any) -> str:
        q = view.query

        def here(**changes: Any) -> str:
            params: dict[str, Any] = {"task": view.selected, "show": q.show, "sort": q.sort, "dir": q.dir, "ref": q.ref,
                                      "page": None}
            params.update(changes)
            defaults = {"show": "all", "sort": "task", "dir": "asc", "page": 1}
            return url(f"/runs/{view.run.id}",
                       **{k: (None if defaults.get(k) == v else v) for k, v in params.items()})

        def image(sample: views.SampleView) -> str:
            return (f"/images/{quote(sample.task, safe='')}/{quote(sample.variant, safe='')}/"
                    f"{quote(sample.sample_id, safe='')}?v={quote(suite_version)}")

        chart = radar_svg(view.axes, view.radar, f"sub-dimension scores of run {view.run.id}"
                          + (f" against run {view.reference.run.id}" if view.reference else ""))
        return self.page("run.html", view=view, here=here, image=image, radar=chart, run_url=run_url,
                         can_review=can_review, review_note=review_note, image_classes={}, image_css="", **context)

    def export(self, view: views.RunView, *, generated: datetime | None = None) -> str:
        """The run page as one file: every task's samples, images inlined."""
        paths: dict[Path, str] = {}
        for section in view.samples:
            for s in section.samples:
                if s.image is not None and s.image not in paths:
                    paths[s.image] = f"im{len(paths)}"
        css = "".join(f".{name}{{background-image:url({data_uri(path)})}}\n" for path, name in paths.items())
        chart = radar_svg(view.axes, view.radar, f"sub-dimension scores of run {view.run.id}"
                          + (f" against run {view.reference.run.id}" if view.reference else ""))

        def nowhere(*_a: Any, **_k: Any) -> str:
            return ""

        return self.page("run.html", view=view, here=nowhere, image=nowhere, radar=chart, run_url=nowhere,
                         can_review=False, review_note="", export=True, csp=EXPORT_CSP, image_classes=paths,
                         image_css=Markup(css), image_sizes=_sizes(paths),
                         generated=views.when(generated or datetime.now(UTC)))

    def compare(self, view: views.CompareView, **context: Any) -> str:
        def samples_url(task: str) -> str:
            return url(f"/runs/{view.candidate.id}", task=task, show="changed", ref=view.baseline.id)

        return self.page("compare.html", view=view, run_url=run_url, samples_url=samples_url, **context)

    def login(self, *, next_url: str, message: str = "", **context: Any) -> str:
        return self.page("login.html", next_url=next_url, message=message, **context)

    def error(self, status: int, message: str, **context: Any) -> str:
        return self.page("error.html", status=status, message=message, **context)


def url(path: str, **params: Any) -> str:
    query = {k: v for k, v in params.items() if v is not None and v != ""}
    return path + ("?" + urlencode(query) if query else "")


def run_url(run_id: str, **params: Any) -> str:
    return url(f"/runs/{quote(run_id, safe='')}", **params)


_MIME_FALLBACK = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                  ".webp": "image/webp"}


def image_type(path: Path) -> str:
    return _MIME_FALLBACK.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def data_uri(path: Path) -> str:
    return f"data:{image_type(path)};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _sizes(paths: Mapping[Path, str]) -> dict[Path, float]:
    """Width / height of each image (for its box in an export); 1.0 when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    out: dict[Path, float] = {}
    for path in paths:
        try:
            with Image.open(path) as im:
                out[path] = im.width / im.height if im.height else 1.0
        except (OSError, UnidentifiedImageError):
            out[path] = 1.0
    return out

