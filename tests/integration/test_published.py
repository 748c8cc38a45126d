"""What /metrics and GetScores publish stays true: a partial run updates only what it measured, failed
requests never move a score, a run of failures is degraded and publishes nothing, and group scores need a
complete set of fresh task scores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.service import Service
from tests.behaving_model import BehavingModel
from tests.integration.test_regression import TASKS, Setup, started
from tests.integration.test_service import pb2


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async for s in started(tmp_path, BehavingModel(TASKS, flip=0.03, seed=3)):
        yield s


def _series(m: dict[str, list[Any]], name: str) -> dict[str, float]:
    return {s.labels.get("task") or s.labels.get("dimension") or "overall": s.value for s in m.get(name, [])
            if s.labels.get("endpoint") == "oa"}


async def test_a_partial_run_updates_what_it_measured_and_nothing_else(setup: Setup) -> None:
    full = await setup.run()
    m = await setup.running.metrics()
    before = _series(m, "trust_task_score")
    stamps = _series(m, "trust_task_last_scored_timestamp_seconds")
    assert set(before) == set(TASKS) and set(stamps) == set(TASKS)

    setup.model.seed, setup.model.flip = 11, 0.5  # T.1 answers now differ a lot from the full run's
    setup.model.__post_init__()
    only = await setup.run(["T.1"])
    m = await setup.running.metrics()
    after = _series(m, "trust_task_score")
    after_stamps = _series(m, "trust_task_last_scored_timestamp_seconds")
    assert {t: after[t] for t in ("S.4", "S.5", "S.6")} == {t: before[t] for t in ("S.4", "S.5", "S.6")}
    assert {t: after_stamps[t] for t in ("S.4", "S.5", "S.6")} == {t: stamps[t] for t in ("S.4", "S.5", "S.6")}
    assert after_stamps["T.1"] > stamps["T.1"]
    # the overall score is the complete set's (T.1 new, safety from the full run), not T.1's alone
    scores = await setup.running.stub.GetScores(pb2.GetScoresRequest(endpoint="oa"))
    by_task = {t.task: t for t in scores.tasks}
    assert by_task["T.1"].run_id == only.id and by_task["S.4"].run_id == full.id
    assert scores.has_overall
    (overall,) = _series(m, "trust_overall_score").values()
    assert overall == pytest.approx(scores.overall) and overall != pytest.approx(after["T.1"])
    # the T.1-only run's own view has no overall: it measured one task of four
    own = await setup.running.stub.GetScores(pb2.GetScoresRequest(run_id=only.id))
    assert not own.has_overall and own.overall_reason == "sub-dimension jailbreaking has no score"
    jail = {g.name: g for g in own.subdimensions}["jailbreaking"]
    assert not jail.has_score and jail.reason == "S.4 not run; S.5 not run; S.6 not run"


async def test_failed_requests_never_move_a_published_score(setup: Setup) -> None:
    await setup.run()
    m = await setup.running.metrics()
    before = _series(m, "trust_task_score")
    overall_before = _series(m, "trust_overall_score")["overall"]

    setup.model.broken = {"S.4"}  # malformed replies to every S.4 request: 36 of 292 requests fail
    broken = await setup.run()
    assert broken.status == pb2.RUN_STATUS_SUCCEEDED and broken.error_items == 36
    m = await setup.running.metrics()
    after = _series(m, "trust_task_score")
    assert after["S.4"] == before["S.4"]  # still the last reliable measurement
    own = await setup.running.stub.GetScores(pb2.GetScoresRequest(run_id=broken.id))
    assert not own.has_overall  # the run alone is no complete set
    published = await setup.running.stub.GetScores(pb2.GetScoresRequest(endpoint="oa"))
    assert {t.task: t.run_id for t in published.tasks}["S.4"] != broken.id
    # the overall moves only as much as the measured tasks did (flips), not by losing S.4
    assert abs(_series(m, "trust_overall_score")["overall"] - overall_before) < 0.1

    setup.model.broken, setup.model.down = set(), True  # every request fails
    down = await setup.run()
    assert down.status == pb2.RUN_STATUS_DEGRADED and "292 of 292 requests failed" in down.message
    m = await setup.running.metrics()
    assert _series(m, "trust_task_score") == after
    assert [s.value for s in m["trust_runs_total"] if s.labels["status"] == "degraded"] == [1.0]
    assert _series(m, "trust_overall_score")


async def test_group_scores_need_fresh_task_scores(tmp_path: Path) -> None:
    async for setup in started(tmp_path, BehavingModel(TASKS, seed=5), max_score_age="2s"):
        await setup.run()
        m = await setup.running.metrics()
        assert _series(m, "trust_overall_score") and _series(m, "trust_dimension_score")
        await asyncio.sleep(3.5)  # past max_score_age; the publisher looks again every 0.2 s here
        m = await setup.running.metrics()
        assert not _series(m, "trust_overall_score") and not _series(m, "trust_dimension_score")
        assert set(_series(m, "trust_task_score")) == set(TASKS)  # tasks stay, with their age
        scores = await setup.running.stub.GetScores(pb2.GetScoresRequest(endpoint="oa"))
        assert not scores.has_overall
        safety = {d.name: d for d in scores.dimensions}["safety"]
        assert not safety.has_score and "sub-dimension" in safety.reason
        jail = {s.name: s for s in scores.subdimensions}["jailbreaking"]
        assert "older than suite.max_score_age" in jail.reason


PUBLISHED_FAMILIES = ("trust_task_score", "trust_task_score_ci_low", "trust_task_score_ci_high", "trust_task_samples",
                      "trust_task_score_delta", "trust_task_last_scored_timestamp_seconds", "trust_regression",
                      "trust_regression_evidence", "trust_dimension_regression", "trust_subdimension_score",
                      "trust_subdimension_score_ci_low", "trust_subdimension_score_ci_high", "trust_dimension_score",
                      "trust_dimension_score_ci_low", "trust_dimension_score_ci_high", "trust_overall_score",
                      "trust_last_run_timestamp_seconds", "trust_model_info")


async def _published_text(setup: Setup) -> dict[str, list[str]]:
    """/metrics as served, the published families' lines only (HELP and TYPE included), as text."""
    async with aiohttp.ClientSession() as s, s.get(f"{setup.running.http}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        name = line.split(" ")[2] if line.startswith("#") else line.split("{")[0].split(" ")[0]
        if name in PUBLISHED_FAMILIES:
            out.setdefault(name, []).append(line)
    return out


async def test_a_restart_serves_the_same_published_lines(setup: Setup) -> None:
    """Scores, intervals, verdicts, ages, model and last run: what /readyz says is served after a restart is,
    line for line, what was served before it (the score families are rendered by the publication itself)."""
    await setup.run()
    setup.model.seed, setup.model.flip = 11, 0.5
    setup.model.__post_init__()
    await setup.run(["T.1"])  # a second run: T.1's line from it, the rest from the first, and verdicts
    before = await _published_text(setup)
    assert len(before["trust_task_score"]) == 2 + len(TASKS) and before["trust_overall_score"][2:]
    assert before["trust_regression"][2:], "the second run was judged: verdict lines expected"

    service = setup.running.service
    await service.stop()
    again = Service(service.config)
    await again.start()
    setup.running.service = again
    async with aiohttp.ClientSession() as s, s.get(f"{setup.running.http}/readyz") as r:
        assert r.status == 200
    after = await _published_text(setup)
    # the last run's time: live from the run's end event, restored from the store's finish time (a few ms apart)
    (live,), (restored,) = (f.pop("trust_last_run_timestamp_seconds")[2:] for f in (before, after))
    assert abs(float(live.rsplit(" ", 1)[1]) - float(restored.rsplit(" ", 1)[1])) < 1.0
    assert after == before  # in the same order too: restored endpoint by endpoint, as published
