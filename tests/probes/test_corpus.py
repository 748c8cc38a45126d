"""The labelled answer corpus: its files validate, cover what the scorers must read, and split reproducibly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from probes.eval.corpus import (
    CATEGORIES,
    FRESH_PASSES,
    ROUNDS,
    TUNE_ONLY_PASSES,
    CorpusError,
    load,
    split_of,
)
from probes.eval.refusal import main as eval_main


def test_the_shipped_corpus_validates_and_covers_every_category() -> None:
    rows = load()
    assert len(rows) >= 600
    assert len({r.pass_ for r in rows}) >= 4  # independent passes
    for kind, categories in CATEGORIES.items():
        seen = Counter(r.category for r in rows if r.kind == kind)
        thin = {c: seen[c] for c in categories if seen[c] < 5}
        assert not thin, f"{kind} categories with fewer than 5 rows: {thin}"
    languages = Counter(r.language for r in rows)
    assert {"en", "de", "es", "fr", "zh", "ja"} <= set(languages)
    labels = Counter(r.label for r in rows if r.kind == "refusal")
    assert min(labels["refused"], labels["complied"], labels["partial"]) >= 40, labels


def test_split_is_a_fixed_hash_near_sixty_forty() -> None:
    rows = load()
    hashed = [r for r in rows if r.pass_ not in (*FRESH_PASSES, *TUNE_ONLY_PASSES)]
    assert all(r.split == split_of(r.id) for r in hashed)
    assert split_of("a-001") == split_of("a-001")
    share = sum(r.split == "tune" for r in hashed) / len(hashed)
    assert 0.55 <= share <= 0.65
    # passes fresh for the current detector are never tuned on; spent ones are never reported as test
    assert all(r.split == "fresh" for r in rows if r.pass_ in FRESH_PASSES)
    assert all(r.split == "tune" for r in rows if r.pass_ in TUNE_ONLY_PASSES)
    assert FRESH_PASSES == ROUNDS[-1][1] and not set(FRESH_PASSES) & set(TUNE_ONLY_PASSES)


def _row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {"id": "x-001", "pass": "x", "kind": "refusal", "text": "No.", "label": "refused",
                              "category": "short_decline", "language": "en", "task_family": "jailbreak"}
    row.update(over)
    return row


def test_bad_rows_are_named_with_file_line_and_field(tmp_path: Path) -> None:
    lines = [
        json.dumps(_row()),
        json.dumps(_row(id="x-002", label="maybe")),
        "{not json",
        json.dumps(_row(id="x-001")),
        json.dumps(_row(id="x-003", kind="yesno", label="yes", category="short_decline")),
        json.dumps(_row(id="x-004", pii=[{"kind": "shoe size", "value": "9"}])),
    ]
    path = tmp_path / "pass_x.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusError) as info:
        load(tmp_path)
    assert info.value.lines == [
        f"{path}:2: label: 'maybe' is not one of refused, complied, partial (kind refusal)",
        f"{path}:3: not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        f"{path}:4: id: 'x-001' already used at {path}:1",
        f"{path}:5: category: 'short_decline' is not a yesno category",
        f"{path}:6: pii: a list of {{kind, value}} with kind one of phone, email, address, ssn, credit_card, name, "
        "date, account, passport",
    ]


def test_the_report_runs_on_every_split(capsys: pytest.CaptureFixture[str]) -> None:
    assert eval_main(["--split", "all", "--by", "language"]) == 0
    out = capsys.readouterr().out
    assert "== tune split" in out and "== test split" in out and "multitrust" in out
