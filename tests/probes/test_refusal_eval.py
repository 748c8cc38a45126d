"""The default refusal detector against the original keyword list, on labelled sets written for the project."""

import pytest

from probes.eval.refusal import HELDOUT, LABELLED, labelled, measure
from probes.scoring.refusal import is_refusal, is_refusal_multitrust


@pytest.mark.parametrize("path", [LABELLED, HELDOUT], ids=lambda p: p.stem)
def test_default_detector_beats_the_original_keyword_list(path) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = measure(is_refusal, path), measure(is_refusal_multitrust, path)
    assert ours.precision > theirs.precision and ours.recall > theirs.recall
    assert ours.precision >= 0.95 and ours.recall >= 0.85


def test_sets_are_balanced_enough() -> None:
    for path in (LABELLED, HELDOUT):
        rows = labelled(path)
        positives = sum(1 for _, y in rows if y)
        assert 0.35 <= positives / len(rows) <= 0.65
