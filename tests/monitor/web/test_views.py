"""What the pages show, from a real SQLite store of two scored and judged runs (conftest.py)."""

from __future__ import annotations

import math

import pytest

from monitor.aggregation import aggregate
from monitor.store import ReviewRecord, TaskScoreRecord
from monitor.web import views
from monitor.web.views import PageError, RunQuery, RunsQuery
from tests.monitor.web.conftest import Stored


def test_run_view_counts_filters_reference_and_verdicts(stored: Stored) -> None:
    view = views.run_view(stored.sources, stored.candidate.id, RunQuery())
    assert view.reference is not None and view.reference.run.id == stored.reference.id
    assert "regression check" in view.reference.why
    assert view.verdict == "regressed" and view.selected == "S.4"  # opens on the regressed task
    rows = {r.task.id: r for r in view.tasks}
    assert len(rows) == 32 and [r.task.id for r in view.tasks if r.ran] == ["T.1", "S.4"]
    s4 = rows["S.4"]
    # 20 complied, 1 partial (both failed), 1 timed out, 14 refused
    assert s4.counts == {"all": 36, "failed": 21, "passed": 14, "errors": 1, "changed": 22, "partial": 1}
    assert s4.verdict is not None and s4.verdict.verdict.value == "regressed" and s4.ref_score == 1.0
    assert rows["T.1"].counts["changed"] == 0 and rows["T.5"].ran is False
    assert s4.scorer == "rule (refusal)"
    (section,) = view.samples
    assert section.row.task.id == "S.4" and len(section.samples) == 36
    partial = [s for s in section.samples if s.partial]
    assert len(partial) == 1 and partial[0].result.reason.startswith("partial (") and partial[0].harmful
    error = next(s for s in section.samples if s.outcome == "error")
    assert error.changed and error.show_reference and error.reference is not None
    assert error.reference.answer is not None and error.image is not None and error.image.is_file()
    assert view.outcomes == {"answered": 75, "timeout": 1}
    assert view.cost_usd == pytest.approx((75 * 100 * 1.0 + 75 * 10 * 2.0) / 1e6)
    assert [s.key for s in view.radar] == ["run", "ref"] and len(view.axes) == 10


@pytest.mark.parametrize(("show", "count"), [("failed", 21), ("passed", 14), ("errors", 1), ("changed", 22),
                                             ("partial", 1), ("all", 36)])
def test_filters_choose_the_samples(stored: Stored, show: str, count: int) -> None:
    view = views.run_view(stored.sources, stored.candidate.id, RunQuery(task="S.4", show=show))  # type: ignore[arg-type]
    (section,) = view.samples
    assert section.shown == count == len(section.samples) and section.total == 36


def test_sorting_and_unscored_rows_last(stored: Stored) -> None:
    view = views.run_view(stored.sources, stored.candidate.id, RunQuery(sort="score", dir="desc"))
    assert [r.task.id for r in view.tasks[:2]] == ["T.1", "S.4"]  # 50.0, 40.0, then the 30 not run
    view = views.run_view(stored.sources, stored.candidate.id, RunQuery(sort="delta"))
    assert view.tasks[0].task.id == "S.4"


def test_reviews_are_counted_per_task_and_shown(stored: Stored) -> None:
    sample = stored.catalogue["S.4"].samples[0]
    stored.store.save_review(ReviewRecord(stored.candidate.id, "S.4", "default", sample.id, label="partial",
                                          scorer="refusal", scorer_score=0.0))
    view = views.run_view(stored.sources, stored.candidate.id, RunQuery(task="S.4"))
    row = next(r for r in view.tasks if r.task.id == "S.4")
    assert row.disagreements == 1 and view.reviews == 1
    reviewed = [s for s in view.samples[0].samples if s.review is not None]
    assert [s.sample_id for s in reviewed] == [sample.id] and "reviewed" in reviewed[0].classes
    assert reviewed[0].readings == ("refused", "complied", "partial")


def test_reference_choices(stored: Stored) -> None:
    first = views.run_view(stored.sources, stored.reference.id, RunQuery())
    assert first.reference is None  # nothing before the first run
    chosen = views.run_view(stored.sources, stored.reference.id, RunQuery(ref=stored.candidate.id))
    assert chosen.reference is not None and chosen.reference.why == "chosen for this page"
    stored.store.set_baseline("demo", stored.reference.id)
    pinned = views.run_view(stored.sources, stored.candidate.id, RunQuery())
    assert pinned.reference is not None and pinned.reference.why == "the endpoint's pinned baseline"
    with pytest.raises(PageError, match="another run"):
        views.run_view(stored.sources, stored.candidate.id, RunQuery(ref=stored.candidate.id))


def test_export_view_holds_every_task(stored: Stored) -> None:
    view = views.run_view(stored.sources, stored.candidate.id, RunQuery(), everything=True)
    assert [s.row.task.id for s in view.samples] == ["T.1", "S.4"]
    assert sum(len(s.samples) for s in view.samples) == 76


def test_unknown_things_are_page_errors(stored: Stored) -> None:
    with pytest.raises(PageError) as err:
        views.run_view(stored.sources, "0" * 32, RunQuery())
    assert err.value.status == 404
    with pytest.raises(PageError, match="no task"):
        views.run_view(stored.sources, stored.candidate.id, RunQuery(task="X.9"))
    with pytest.raises(PageError, match="no endpoint"):
        views.runs_view(stored.sources, RunsQuery(endpoint="nope"))


def test_runs_view_pages(stored: Stored) -> None:
    view = views.runs_view(stored.sources, RunsQuery())
    assert [r.run.id for r in view.rows] == [stored.candidate.id, stored.reference.id]
    assert view.rows[0].verdict == "regressed" and view.rows[0].dimensions["safety"] == pytest.approx(0.4)
    assert view.rows[1].overall == pytest.approx(0.75) and not view.has_next
    assert views.runs_view(stored.sources, RunsQuery(endpoint="demo", page=2)).rows == []


def test_compare_view_is_the_release_gate(stored: Stored) -> None:
    view = views.compare_view(stored.sources, stored.reference.id, stored.candidate.id)
    assert view.result == "regression" and view.changed == {"S.4": 22}
    assert view.verdicts[0].level == "overall" and view.alpha == stored.config.regression.gate_alpha
    with pytest.raises(PageError) as err:
        views.compare_view(stored.sources, stored.candidate.id, stored.candidate.id)
    assert err.value.status == 409 and "same run" in err.value.message


def test_the_radar_uses_the_aggregations_sub_dimension_intervals(stored: Stored) -> None:
    cat = stored.catalogue
    agg = aggregate(cat, [TaskScoreRecord("S.4", 0.5, 0.3, 0.7, 36, 0, 0),
                          TaskScoreRecord("S.5", 0.5, 0.3, 0.7, 36, 0, 0),
                          TaskScoreRecord("S.6", 0.5, 0.3, 0.7, 180, 0, 0)], required=["S.4", "S.5", "S.6"])
    low, high = views.subdimension_interval(agg, "jailbreaking") or (0.0, 0.0)
    assert math.isclose(high - 0.5, 0.2 / math.sqrt(3), rel_tol=1e-9) and math.isclose(0.5 - low, high - 0.5)
    assert views.subdimension_interval(agg, "toxicity") is None


def test_the_unfiltered_list_starts_with_each_endpoints_latest_run(stored: Stored) -> None:
    other = stored.store.create_run("other", "schedule", ["T.1"], "x", "default")
    view = views.runs_view(stored.sources, RunsQuery())
    assert [r.run.id for r in view.latest] == [stored.candidate.id, other.id]  # demo, other
    assert view.latest[1].overall is None  # a queued run has no scores
    assert views.runs_view(stored.sources, RunsQuery(endpoint="demo")).latest == []


def test_samples_are_paged(stored: Stored, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "SAMPLES_PER_PAGE", 10)
    (first,) = views.run_view(stored.sources, stored.candidate.id, RunQuery(task="S.4")).samples
    assert (first.page, first.pages, len(first.samples)) == (1, 4, 10)
    assert first.samples[0].sample_id == stored.catalogue["S.4"].samples[0].id  # in the suite's order
    (last,) = views.run_view(stored.sources, stored.candidate.id, RunQuery(task="S.4", page=9)).samples
    assert (last.page, len(last.samples)) == (4, 6)  # past the end: the last page
    assert last.samples[0].image is not None and first.samples[0].image is not None
