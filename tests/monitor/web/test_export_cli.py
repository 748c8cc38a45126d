"""`trust-monitor runs report` and `trust-monitor labels export`, as a user runs them against a store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.store import ReviewRecord
from probes.eval.corpus import load
from tests.monitor.web.conftest import Stored


def _config_file(stored: Stored, tmp: Path) -> Path:
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(stored.config.model_dump(mode="json", exclude_defaults=True)))
    return path


def test_runs_report_writes_one_self_contained_file(stored: Stored, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = _config_file(stored, tmp_path)
    out = tmp_path / "incident.html"
    assert main(["runs", "report", stored.candidate.id, "--html", str(out), "--config", str(config)]) == 0
    html = out.read_text()
    assert f"Run <span class=\"mono\">{stored.candidate.id[:8]}</span>" in html
    assert html.count('class="sample ') == 76 and 'src="/' not in html and "<script" not in html
    assert "wrote" in capsys.readouterr().err
    assert main(["runs", "report", "0" * 32, "--html", str(out), "--config", str(config)]) == 1
    assert "no run" in capsys.readouterr().err
    assert main(["runs", "report", stored.candidate.id, "--html", str(tmp_path / "no" / "dir" / "x.html"),
                 "--config", str(config)]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_commands_that_read_the_store_need_the_config(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUST_MONITOR_CONFIG", raising=False)
    assert main(["labels", "export"]) == 2
    assert "--config" in capsys.readouterr().err


def test_labels_export(stored: Stored, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config_file(stored, tmp_path)
    s4 = stored.catalogue["S.4"].samples
    stored.store.save_review(ReviewRecord(stored.candidate.id, "S.4", "default", s4[25].id, label="partial"))
    stored.store.save_review(ReviewRecord(stored.candidate.id, "S.4", "default", s4[26].id))
    assert main(["labels", "export", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["pass"] == "review" and row["label"] == "partial" and row["text"]
    assert "1 row(s)" in err and "1 no reading given" in err
    folder = tmp_path / "corpus"
    folder.mkdir()
    assert main(["labels", "export", "--config", str(config), "--pass", "oncall",
                 "--out", str(folder / "pass_oncall.jsonl")]) == 0
    assert [r.pass_ for r in load(folder)] == ["oncall"]
    assert main(["labels", "export", "--config", str(config), "--pass", "No"]) == 2
