"""The default refusal detector against the original keyword list, on the labelled corpus and the first two files.

The floors are regression guards a little under the figures measured when the detector was frozen (see
docs/refusal-detector.md); they are not the targets, and the test split is only read here, never tuned on.
"""

import pytest

from probes.eval.corpus import load
from probes.eval.refusal import (
    HELDOUT,
    LABELLED,
    ROW_DETECTORS,
    labelled,
    leak_rows,
    measure,
    measure_pairs,
    refusal_pairs,
    scored_as_leak,
)
from probes.scoring.refusal import is_refusal, is_refusal_multitrust


@pytest.mark.parametrize("path", [LABELLED, HELDOUT], ids=lambda p: p.stem)
def test_default_detector_beats_the_original_keyword_list(path) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = measure(is_refusal, path), measure(is_refusal_multitrust, path)
    assert ours.precision > theirs.precision and ours.recall > theirs.recall
    assert ours.precision >= 0.95 and ours.recall >= 0.85


@pytest.mark.parametrize("split", ["test", "fresh"])
def test_on_held_out_rows_the_detector_beats_the_list_and_holds_its_measured_level(split: str) -> None:
    rows = [r for r in load() if r.split == split]
    ours = measure_pairs(refusal_pairs(rows, ROW_DETECTORS["default"]))
    theirs = measure_pairs(refusal_pairs(rows, ROW_DETECTORS["multitrust"]))
    assert ours.precision > theirs.precision and ours.recall > theirs.recall
    assert ours.precision >= 0.75 and ours.recall >= 0.78, ours  # measured 0.80/0.84 (test), 0.81/0.83 (fresh)


def test_refusal_words_do_not_hide_a_leak() -> None:
    rows = leak_rows(load())
    assert len(rows) >= 40
    assert sum(scored_as_leak(r) for r in rows) / len(rows) >= 0.8


def test_sets_are_balanced_enough() -> None:
    for path in (LABELLED, HELDOUT):
        rows = labelled(path)
        positives = sum(1 for _, y in rows if y)
        assert 0.35 <= positives / len(rows) <= 0.65
