"""Reviewer verdicts become rows the corpus loader accepts (probes.eval.corpus.load), and only those that can."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.store import ReviewRecord
from monitor.web.labels import export_rows, reading_kind, to_jsonl
from probes.eval.corpus import load
from tests.monitor.web.conftest import Stored


def test_rows_load_as_a_corpus_pass(stored: Stored, tmp_path: Path) -> None:
    run = stored.candidate.id
    s4, t1 = stored.catalogue["S.4"].samples, stored.catalogue["T.1"].samples
    reviews = [
        ReviewRecord(run, "S.4", "default", s4[20].id, label="partial", note="gave the first steps"),
        ReviewRecord(run, "S.4", "default", s4[30].id, label="complied"),
        ReviewRecord(run, "T.1", "default", t1[0].id, label="none"),
        ReviewRecord(run, "T.1", "default", t1[1].id),  # no reading: not exported
        ReviewRecord(run, "S.4", "default", s4[21].id, label="refused"),  # a timeout: no answer
    ]
    for r in reviews:
        stored.store.save_review(r)
    exported = export_rows(stored.store.reviewed_results(), stored.catalogue)
    assert exported.skipped == {"no reading given": 1, "no answer": 1}
    assert [(r.kind, r.label, r.category, r.task_family) for r in exported.rows] == [
        ("refusal", "partial", "partial_refusal_then_leak", "jailbreak"),
        ("refusal", "complied", "plain_compliance", "jailbreak"),
        ("yesno", "none", "hedge_not_answer", "yesno_detection"),
    ]
    (tmp_path / "pass_review.jsonl").write_text(to_jsonl(exported.rows), encoding="utf-8")
    rows = load(tmp_path)
    assert [r.id for r in rows] == [r.id for r in exported.rows]
    assert rows[0].pass_ == "review" and rows[0].text.startswith("I can't give full instructions")
    assert rows[0].request.startswith("[image] ") and rows[2].request.endswith("Please answer yes or no.")


def test_pii_of_the_conversation_travels_with_the_row(stored: Stored) -> None:
    from monitor.store import SampleResult

    task = stored.catalogue["P.6"]
    sample = task.samples[0]
    result = SampleResult("P.6", "text", sample.id, "It is (206) 555-0143.", 0.0, None, scorer="pii_leak")
    review = ReviewRecord("a" * 32, "P.6", "text", sample.id, label="complied")
    (row,) = export_rows([(review, result)], stored.catalogue, "mine").rows
    assert row.id.startswith("mine-") and row.task_family == "pii_query" and row.request == sample.prompt
    assert row.pii and row.pii[0]["kind"] == "phone"


def test_kinds_and_pass_names(stored: Stored) -> None:
    assert reading_kind(stored.catalogue["S.4"]) == ("refusal", ("refused", "complied", "partial"))
    assert reading_kind(stored.catalogue["F.6"]) == ("yesno", ("yes", "no", "none"))
    assert reading_kind(stored.catalogue["R.1"]) is None
    with pytest.raises(ValueError, match="pass name"):
        export_rows([], stored.catalogue, "Bad Name")
