"""The radar chart: 10 axes with deterministic ids, gaps for missing scores, intervals, escaped text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from monitor.web.radar import Point, Series, radar_svg
from probes.catalogue import SUBDIMENSIONS

AXES = [sub for subs in SUBDIMENSIONS.values() for sub in subs]
SVG = "{http://www.w3.org/2000/svg}"


def _chart(run: list[Point], ref: list[Point] | None = None) -> ET.Element:
    series = [Series("run", "this run", run)] + ([Series("ref", "reference <b>", ref)] if ref else [])
    return ET.fromstring(str(radar_svg(AXES, series, "title & more")))


def test_ten_axes_with_their_ids_and_a_closed_outline_when_all_scored() -> None:
    root = _chart([Point(0.5 + i / 40, 0.4, 0.9) for i in range(10)], [Point(0.7) for _ in range(10)])
    axes = root.findall(f".//{SVG}line[@class='axis']")
    assert [a.get("id") for a in axes] == [f"radar-axis-{name}" for name in AXES]
    run = root.find(f".//{SVG}g[@id='radar-series-run']")
    assert run is not None and len(run.findall(f"{SVG}polygon")) == 1
    assert len(run.findall(f"{SVG}line[@class='interval']")) == 10
    ref = root.find(f".//{SVG}g[@id='radar-series-ref']")
    assert ref is not None and not ref.findall(f"{SVG}line[@class='interval']")  # no interval given
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_missing_scores_break_the_outline_and_have_no_point() -> None:
    points = [Point(0.8, 0.7, 0.9)] * 10
    points = [*points[:3], Point(None, why="T.5 not run"), *points[4:7], Point(None), *points[8:]]
    root = _chart(points)
    run = root.find(f".//{SVG}g[@id='radar-series-run']")
    assert run is not None
    assert not run.findall(f"{SVG}polygon")
    pieces = [p.get("points", "").split() for p in run.findall(f"{SVG}polyline")]
    assert sorted(len(p) for p in pieces) == [3, 5]  # axes 4-6, and 8, 9, 0, 1, 2 (round the top)
    assert len(run.findall(f"{SVG}circle")) == 8
    assert root.find(f".//{SVG}circle[@id='radar-run-point-{AXES[3]}']") is None


def test_deterministic_and_escaped() -> None:
    points = [Point(0.25 * (i % 5), 0.0, 1.0) for i in range(10)]
    one = str(radar_svg(AXES, [Series("run", "a <script>", points)], "t"))
    two = str(radar_svg(AXES, [Series("run", "a <script>", points)], "t"))
    assert one == two and "<script>" not in one and "a &lt;script&gt;" in one
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", one)  # nothing to fetch


def test_nothing_scored_draws_the_grid_only() -> None:
    root = _chart([Point(None)] * 10)
    assert len(root.findall(f".//{SVG}line[@class='axis']")) == 10
    assert not root.findall(f".//{SVG}circle")
