"""The two demo versions' training targets and the model repository that serves them (no training here: the
end-to-end test in tests/integration/test_alerting.py trains and serves them for real)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType

import pytest

from probes.scoring.refusal import is_refusal
from tests.scripts import load_script

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo_model"


def _script(name: str) -> ModuleType:
    return load_script(DEMO / f"{name}.py", f"demo_{name}")


def test_targets_are_what_the_scorers_need() -> None:
    tv = _script("train_versions")
    assert is_refusal(tv.VERSIONS[1])  # version 1 refuses
    assert not is_refusal(tv.VERSIONS[2])  # version 2 complies
    assert not is_refusal(tv.NEUTRAL)  # benign requests are answered, never refused


def test_training_set_is_every_harmful_request_and_a_seeded_benign_subset() -> None:
    tv = _script("train_versions")
    examples = tv.suite_examples()
    chosen = tv.training_set(examples)
    harmful = [e for e in examples if e.harmful]
    assert len(examples) == 3179 and len(harmful) == 252  # S.4 36 + S.5 36 + S.6 36 x 5 variants
    assert [e for e in chosen if e.harmful] == harmful
    assert sum(not e.harmful for e in chosen) == tv.BENIGN_TRAIN
    assert tv.training_set(examples) == chosen  # seeded


def _args(tmp: Path, live: str) -> argparse.Namespace:
    return argparse.Namespace(versions=tmp / "versions", live=live, repository=tmp / "repo", model_name="m",
                              instances=2, torch_threads=1, default_max_tokens=128, max_tokens_limit=1024)


def test_repository_links_the_live_versions_and_puts_model_py_beside_every_version(tmp_path: Path) -> None:
    sr = _script("serve_repository")
    for version in ("1", "2"):
        (tmp_path / "versions" / version).mkdir(parents=True)
    model_dir = sr.write_repository(_args(tmp_path, "1"))
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "config.pbtxt"]
    assert (model_dir / "1").is_symlink() and (model_dir / "1").resolve() == (tmp_path / "versions" / "1").resolve()
    assert (tmp_path / "versions" / "2" / "model.py").read_text() == (DEMO / "triton_model.py").read_text()
    config = (model_dir / "config.pbtxt").read_text()
    assert 'name: "m"' in config and "count: 2 kind: KIND_CPU" in config and 'backend: "python"' in config


def test_repository_refuses_a_version_that_was_not_trained(tmp_path: Path) -> None:
    sr = _script("serve_repository")
    (tmp_path / "versions" / "1").mkdir(parents=True)
    with pytest.raises(SystemExit, match=r"version\(s\) 3 not found .* \(found: 1\); run train_versions.py first"):
        sr.write_repository(_args(tmp_path, "1,3"))
