"""The radar chart of the 10 sub-dimensions as inline SVG: hand-written, no script, deterministic ids.

Each axis runs from the centre (0) to the rim (100). A series is drawn as points joined along neighbouring axes
that both have a score (a sub-dimension without a score breaks the outline rather than counting as 0), with
its 95% interval as a bar along each axis. The run is solid, the reference dashed; their interval bars sit a
few pixels either side of the axis so both stay visible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 450
CX, CY, RADIUS = 320.0, 205.0, 150.0
RINGS = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Point:
    """One sub-dimension of one series: score and interval in [0, 1]; ``score`` None = no score."""

    score: float | None
    low: float | None = None
    high: float | None = None
    why: str = ""  # why there is no score


@dataclass(frozen=True)
class Series:
    key: str  # "run" or "ref": used in ids and classes
    label: str
    points: Sequence[Point]  # one per axis, in axis order


def _xy(axis: int, count: int, value: float, offset: float = 0.0) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * axis / count
    r = RADIUS * max(0.0, min(1.0, value))
    # offset: perpendicular shift (pixels), to set two interval bars side by side
    return (CX + r * math.cos(angle) - offset * math.sin(angle), CY + r * math.sin(angle) + offset * math.cos(angle))


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _runs(points: Sequence[Point]) -> list[list[int]]:
    """Indices of maximal runs of neighbouring scored axes, going round (the outline's pieces)."""
    n = len(points)
    scored = [p.score is not None for p in points]
    if all(scored):
        return [list(range(n))]
    if not any(scored):
        return []
    start = next(i for i in range(n) if not scored[i])  # begin just after a gap so no piece wraps twice
    pieces: list[list[int]] = []
    current: list[int] = []
    for step in range(1, n + 1):
        i = (start + step) % n
        if scored[i]:
            current.append(i)
        elif current:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    return pieces


def radar_svg(axes: Sequence[str], series: Sequence[Series], title: str) -> Markup:
    """The chart as one ``<svg id="radar">`` element. ``axes``: sub-dimension names (ids use them as given)."""
    n = len(axes)
    out: list[str] = [
        f'<svg id="radar" class="radar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="radar-title">',
        f'<title id="radar-title">{escape(title)}</title>',
        '<g id="radar-grid" class="grid">',
    ]
    for ring in RINGS:
        pts = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in (_xy(i, n, ring) for i in range(n)))
        out.append(f'<polygon id="radar-ring-{int(ring * 100)}" class="ring" points="{pts}"/>')
        # along the bisector of the first two axes, where nothing else is drawn
        angle = -math.pi / 2 + math.pi / n
        x, y = CX + RADIUS * ring * math.cos(angle), CY + RADIUS * ring * math.sin(angle)
        out.append(f'<text class="ring-label" x="{_fmt(x + 3)}" y="{_fmt(y + 3)}">{int(ring * 100)}</text>')
    out.append("</g>")
    out.append('<g id="radar-axes">')
    for i, name in enumerate(axes):
        x, y = _xy(i, n, 1.0)
        lx, ly = _xy(i, n, 1.0 + 14 / RADIUS)
        lx += 8 if lx > CX + 8 else (-8 if lx < CX - 8 else 0)
        anchor = "middle" if abs(lx - CX) < 8 else ("start" if lx > CX else "end")
        ly += 0 if abs(ly - CY) < RADIUS * 0.9 else (-14 if ly < CY else 10)
        values = " / ".join(_pct(s.points[i].score) for s in series)
        out.append(
            f'<line id="radar-axis-{escape(name)}" class="axis" data-subdimension="{escape(name)}" '
            f'x1="{_fmt(CX)}" y1="{_fmt(CY)}" x2="{_fmt(x)}" y2="{_fmt(y)}"/>'
            f'<text class="axis-label" text-anchor="{anchor}" x="{_fmt(lx)}" y="{_fmt(ly)}">'
            f'{escape(name.replace("_", " "))}<tspan class="axis-values" x="{_fmt(lx)}" dy="13">'
            f"{escape(values)}</tspan></text>"
        )
    out.append("</g>")
    for k, s in enumerate(series):
        offset = 3.0 if k == 0 else -3.0
        out.append(f'<g id="radar-series-{escape(s.key)}" class="series {escape(s.key)}">')
        for piece in _runs(s.points):
            coords = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in
                              (_xy(i, n, s.points[i].score or 0.0) for i in piece))
            if len(piece) == n:
                out.append(f'<polygon class="outline" points="{coords}"/>')
            elif len(piece) > 1:
                out.append(f'<polyline class="outline" points="{coords}"/>')
        for i, (name, p) in enumerate(zip(axes, s.points, strict=True)):
            label = name.replace("_", " ")
            if p.score is None:
                continue
            if p.low is not None and p.high is not None:
                x1, y1 = _xy(i, n, p.low, offset)
                x2, y2 = _xy(i, n, p.high, offset)
                out.append(
                    f'<line id="radar-{escape(s.key)}-interval-{escape(name)}" class="interval" '
                    f'x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}">'
                    f"<title>{escape(s.label)}: {escape(label)} 95% interval "
                    f"[{_pct(p.low)}, {_pct(p.high)}]</title></line>"
                )
            x, y = _xy(i, n, p.score)
            out.append(
                f'<circle id="radar-{escape(s.key)}-point-{escape(name)}" class="point" cx="{_fmt(x)}" '
                f'cy="{_fmt(y)}" r="3.5"><title>{escape(s.label)}: {escape(label)} {_pct(p.score)}'
                + (f" [{_pct(p.low)}, {_pct(p.high)}]" if p.low is not None and p.high is not None else "")
                + "</title></circle>"
            )
        out.append("</g>")
    out.append(f'<g id="radar-legend" transform="translate(16,{HEIGHT - 28})">')
    for k, s in enumerate(series):
        x = 0 + 250 * k
        out.append(
            f'<g class="legend series {escape(s.key)}"><line class="outline" x1="{x}" y1="8" x2="{x + 28}" '
            f'y2="8"/><text x="{x + 36}" y="12">{escape(s.label)}</text></g>'
        )
    out.append("</g></svg>")
    return Markup("".join(out))
