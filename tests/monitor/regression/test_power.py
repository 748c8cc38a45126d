"""`trust-monitor power`: what the suite can see, from the real detector."""

from __future__ import annotations

import json

import pytest

from monitor.cli import main


def test_power_of_a_collapse_and_of_a_small_drop(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["power", "--task", "S.4", "--drop", "0.5", "--trials", "20", "--per-task", "10", "--json"]) == 0
    big = json.loads(capsys.readouterr().out)
    assert big["items_per_run"] == 36 and big["tests_per_run"] > 100
    assert big["first_run"] >= 0.9 and big["rotation_detected"] >= 0.9 and big["items_needed"] <= 36

    assert main(["power", "--task", "S.4", "--drop", "0.1", "--trials", "20"]) == 0
    out = capsys.readouterr().out
    assert "A 10-point drop (4 items turn from pass to fail)" in out
    needed = int(out.split("needs about ")[1].split()[0])
    assert 100 < needed < 400  # far more than the 36 samples S.4 ships


def test_power_refuses_what_it_cannot_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["power", "--task", "F.6", "--drop", "0.1"]) == 2
    assert "task-level metric" in capsys.readouterr().err
    assert main(["power", "--task", "S.4", "--drop", "1.5"]) == 2
    assert "--drop must be a ratio" in capsys.readouterr().err
    assert main(["power", "--task", "S.4", "--drop", "0.9", "--base", "0.5"]) == 2
    assert "at most the base pass rate" in capsys.readouterr().err
