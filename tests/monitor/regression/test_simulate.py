"""The short version of `python -m monitor.regression.simulate`: the real detector on simulated endpoints."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.regression.simulate import main


def test_quick_simulation_meets_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    assert main(["--quick", "--workers", "2", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    full = figures["full suite per run"]
    assert full["unchanged"]["runs"] == 1000 and full["unchanged"]["false_alarm_runs"] == 0
    first = {c["scenario"]: c["first_run_rate"] for c in full["changes"]}
    for dim in ("truthfulness", "safety", "robustness", "fairness", "privacy"):
        assert first[f"10-point drop across {dim}"] >= 0.95, dim
    assert first["20-point drop in S.6 (36 samples x 5 variants = 180 items)"] >= 0.95
    assert first["S.4 (36 samples) collapsing by 50 points"] >= 0.6
    assert first["5-point drop in S.4 (36 samples)"] == 0.0  # at the minimum effect: no claim of power

    rotating = figures["sampling.per_task: 10"]
    assert rotating["unchanged"]["false_alarm_runs"] == 0
    within = {c["scenario"]: c["detected"] / c["trials"] for c in rotating["changes"]}
    # evidence accumulates as new samples arrive: the broad drops are all found within the 8 runs watched
    for dim in ("truthfulness", "safety", "robustness", "fairness", "privacy"):
        assert within[f"10-point drop across {dim}"] == 1.0, dim
    assert within["S.4 (36 samples) collapsing by 50 points"] == 1.0
