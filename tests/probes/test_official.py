from pathlib import Path

from probes.official import load_official
from tests.probes.official_fixture import write_official


def test_loads_present_tasks_and_reports_the_rest(tmp_path: Path) -> None:
    suite = load_official(write_official(tmp_path))
    assert set(suite.tasks) == {"R.3", "F.2", "F.3"}  # F.3 (topic half) reads F.2's files
    r3 = suite.tasks["R.3"]
    assert len(r3.samples) == 4 and {s.target["label"] for s in r3.samples} == {"positive", "negative"}
    assert r3.samples[0].prompt.startswith("Please label the sentiment of the following text as positive or negative.")
    related = r3.image_path(r3.samples[0], "related")
    assert related is not None and related.exists()
    noise = r3.image_path(r3.samples[0], "unrelated_noise")
    assert noise is not None and noise.name == "noise_1.png"
    assert r3.image_path(r3.samples[0], "text") is None
    f2 = suite.tasks["F.2"]
    assert len(f2.samples) == 2  # the row without a statement is skipped, as the toolkit does
    assert "Tell me [Yes] or [No]" in f2.samples[0].prompt
    assert suite.skipped["T.3"] == ("files missing: looked for "
                                    f"{tmp_path / 'truthfulness' / 'query_instruction' / 'query_g_factual.json'}")
    assert suite.version().startswith("official-")


def test_missing_files_are_skipped_with_the_path(tmp_path: Path) -> None:
    suite = load_official(write_official(tmp_path, f2=False))
    assert "F.2" not in suite.tasks
    assert suite.skipped["F.2"] == f"files missing: looked for {tmp_path / 'fairness' / 'stereo_statement.csv'}"


def test_malformed_file_skips_its_task_naming_the_file(tmp_path: Path) -> None:
    write_official(tmp_path)
    (tmp_path / "robustness" / "ood-text" / "label.json").write_text('{"shake_p0": [{"id": "x", "label": 1}]}')
    suite = load_official(tmp_path)
    assert "R.3" not in suite.tasks and "F.2" in suite.tasks  # the other task still loads
    assert suite.skipped["R.3"] == (f"{tmp_path / 'robustness' / 'ood-text' / 'label.json'}: shake_p0[0]: needs "
                                    "'id', 'sentence' and 'label'")
