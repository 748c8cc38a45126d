"""The shipped data is exactly what ``python -m probes.generate`` produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from probes.catalogue import DATA_DIR
from probes.generate import compare, generate, main, managed_dirs

pytest.importorskip("skimage", reason="scikit-image provides the unrelated photos")


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    generate(tmp_path)
    assert compare(DATA_DIR, tmp_path) == []
    assert {"T.1", "S.4", "R.3", "F.2", "P.6", "unrelated"} <= set(managed_dirs())


def test_check_flags_stale_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate(tmp_path)
    (tmp_path / "T.1" / "scene_000.png").write_bytes(b"stale")
    (tmp_path / "R.3" / "extra.png").write_bytes(b"x")
    assert main(["--check", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "T.1/scene_000.png" in out and "R.3/extra.png" in out
