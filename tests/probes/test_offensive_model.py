"""The offensive-language classifier without scikit-learn: the exported model gives alt-profanity-check's own
probabilities (to 1e-9) on every text the repository holds, the monitor's process never imports scikit-learn or
scipy for it, and the cache is rebuilt when missing, stale or unreadable."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probes.scoring import offensive_model
from probes.scoring.offensive_export import UnsupportedModel, check_model, check_vectorizer

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-9


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def repository_texts() -> list[str]:
    """Every string of the labelled corpora and the suite's samples (probes/), and every string literal of the
    tests' answer-producing helpers and scorer tests (the answers the test suite scores)."""
    texts: list[str] = []
    for path in sorted([*(REPO / "probes").rglob("*.jsonl")]):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.extend(_strings(json.loads(line)))
    for path in sorted([*(REPO / "tests" / "probes").glob("test_*.py"), REPO / "tests" / "behaving_model.py",
                        REPO / "tests" / "scripted.py", REPO / "tests" / "monitor" / "test_runner_scoring.py"]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        texts.extend(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return list(dict.fromkeys(texts))


def _export(out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "probes.scoring.offensive_export", "--out", str(out)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def exported_blob(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The wheel's model exported by the real exporter, in its own process."""
    out = tmp_path_factory.mktemp("offensive") / "model.bin"
    proc = _export(out)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def exported(exported_blob: bytes) -> offensive_model.Model:
    header, model = offensive_model.decode(exported_blob)
    assert header["source"] == offensive_model.source_key()
    return model


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch, exported_blob: bytes) -> list[int]:
    """The child export's result handed over without starting one more Python with scikit-learn (the child
    itself runs in test_the_monitor_process_never_imports_scikit_learn); counts the exports."""
    calls: list[int] = []

    def export_in_child() -> bytes:
        calls.append(1)
        return exported_blob

    monkeypatch.setattr(offensive_model, "_export_in_child", export_in_child)
    return calls


def test_probabilities_equal_the_wheel_on_every_repository_text(exported: offensive_model.Model) -> None:
    from profanity_check import predict_prob

    texts = repository_texts()
    assert len(texts) > 5000  # the corpora and the samples were found
    texts += ["", " ", "İSTANBUL idiot", "ＦＵＣＫ", "Fuck " * 400, "the and of is", "a b c", "naïve café shit"]
    ours = exported.probabilities(texts)
    theirs = [float(p) for p in predict_prob(texts)]
    worst = max(range(len(texts)), key=lambda i: abs(ours[i] - theirs[i]))
    assert abs(ours[worst] - theirs[worst]) <= TOLERANCE, texts[worst]
    assert [p >= 0.5 for p in ours] == [p >= 0.5 for p in theirs]
    assert sum(p >= 0.5 for p in theirs) > 100  # both sides of the threshold are exercised


_PIECES = st.sampled_from(["idiot", "Idiot", "SHIT", "fuck", "damn", "you", "the", "and", "kill", "stupid", "love",
                           "weather", "café", "İ", "ß", "42", "a", "x1", "--", "!", "'s", "\n", "\t", "ｆｕｃｋ"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=30), st.sampled_from([" ", "", ", "]))
def test_probabilities_equal_the_wheel_on_generated_text(exported: offensive_model.Model, pieces: list[str],
                                                         sep: str) -> None:
    from profanity_check import predict_prob

    text = sep.join(pieces)
    assert abs(exported.probability(text) - float(predict_prob([text])[0])) <= TOLERANCE


def _child(code: str, cache: Path) -> dict[str, Any]:
    env = {**os.environ, offensive_model.CACHE_ENV: str(cache)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


_SCORE_IN_CHILD = """
import json, sys
from probes.scoring import offensive
p = offensive.offensive_probability("you are a fucking idiot")
q = offensive.offensive_probability("the weather is lovely today")
print(json.dumps({"p": p, "q": q, "modules": sorted(m for m in sys.modules if m.split(".")[0] in
      ("sklearn", "scipy", "joblib", "profanity_check"))}))
"""


def test_the_monitor_process_never_imports_scikit_learn(tmp_path: Path) -> None:
    from profanity_check import predict_prob

    cache = tmp_path / "cache"
    first = _child(_SCORE_IN_CHILD, cache)  # no cache: exported in a grandchild, then kept
    assert first["modules"] == []
    files = list(cache.glob("offensive-model-*"))
    assert [f.name for f in files] == [offensive_model.cache_files()[0].name]
    expected = [float(x) for x in predict_prob(["you are a fucking idiot", "the weather is lovely today"])]
    assert abs(first["p"] - expected[0]) <= TOLERANCE and abs(first["q"] - expected[1]) <= TOLERANCE
    assert first["p"] >= 0.5 > first["q"]
    stamp = files[0].stat().st_mtime_ns
    second = _child(_SCORE_IN_CHILD, cache)  # read from the cache, not exported again
    assert second == first and files[0].stat().st_mtime_ns == stamp


@pytest.mark.parametrize("stale", ["{not a model", "truncated", "another wheel", "another format"])
def test_a_bad_or_stale_cache_file_is_exported_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture, stale: str,
                                                     exported: offensive_model.Model, exported_blob: bytes,
                                                     exports: list[int]) -> None:
    monkeypatch.setenv(offensive_model.CACHE_ENV, str(tmp_path))
    path = offensive_model.cache_files()[0]
    key = offensive_model.source_key()
    content = {"{not a model": b"{not a model", "truncated": exported_blob[:-8],
               "another wheel": exported_blob.replace(key.encode(), b"0" * len(key), 1),
               "another format": exported_blob.replace(b'"format": 2', b'"format": 1', 1)}[stale]
    assert content != exported_blob
    path.write_bytes(content)
    model = offensive_model.load()
    assert "exporting it again" in caplog.text and exports == [1]
    assert path.read_bytes() == exported_blob
    text = "what a load of crap, you moron"
    assert model.probability(text) == exported.probability(text)
    offensive_model.load()  # now from the rewritten file
    assert exports == [1]


def test_a_malformed_export_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture, exported_blob: bytes,
                                               exports: list[int]) -> None:
    header, _ = offensive_model.decode(exported_blob)
    n = header["features"]
    data = {"format": offensive_model.FORMAT, "source": header["source"], "token_pattern": r"\w+",
            "vocabulary": ["a", "b"], "idf": [1.0, 2.0],
            "classifiers": [{"coef": [0.5, -0.5], "intercept": 0.1, "a": -2.0, "b": 0.3}]}
    assert offensive_model.decode(offensive_model.encode(data))[1].probability("a b b") > 0
    with pytest.raises(ValueError, match="arrays hold 3 numbers, not 4"):
        offensive_model.decode(offensive_model.encode({**data, "idf": [1.0]}))
    with pytest.raises(ValueError, match="not a finite number"):
        offensive_model.decode(offensive_model.encode({**data, "classifiers": [{**data["classifiers"][0],
                                                                                 "a": float("nan")}]}))
    with pytest.raises(ValueError, match=f"arrays hold {n * 6 - 1} numbers"):
        offensive_model.decode(exported_blob[:-8])
    monkeypatch.setenv(offensive_model.CACHE_ENV, str(tmp_path))
    offensive_model.cache_files()[0].write_bytes(offensive_model.encode({**data, "idf": [1.0, float("inf")]}))
    offensive_model.load()
    assert "is malformed (a weight is not a finite number)" in caplog.text and exports == [1]


def test_no_writable_cache_folder_still_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture, exports: list[int]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(offensive_model.CACHE_ENV, str(blocker / "cache"))  # under a file: mkdir fails
    model = offensive_model.load()
    assert model.probability("shut up, you stupid idiot") >= 0.5
    assert "exported but not kept" in caplog.text and offensive_model.CACHE_ENV in caplog.text and exports == [1]


def test_cache_folders_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(offensive_model.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert offensive_model.cache_dirs() == [Path(sys.prefix) / "share" / "trust-monitor", tmp_path / "trust-monitor"]
    monkeypatch.setenv(offensive_model.CACHE_ENV, str(tmp_path / "x"))
    assert offensive_model.cache_dirs() == [tmp_path / "x"]


def test_a_model_the_exporter_cannot_reproduce_is_refused() -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    with pytest.raises(UnsupportedModel, match="ngram_range is \\(1, 2\\)"):
        check_vectorizer(TfidfVectorizer(ngram_range=(1, 2)))
    with pytest.raises(UnsupportedModel, match="sublinear_tf is True"):
        check_vectorizer(TfidfVectorizer(sublinear_tf=True))
    texts = ["you idiot", "nice day", "stupid moron", "lovely weather"] * 3
    vectorizer = TfidfVectorizer().fit(texts)
    isotonic = CalibratedClassifierCV(LinearSVC(), method="isotonic", cv=2).fit(vectorizer.transform(texts),
                                                                                 [1, 0, 1, 0] * 3)
    with pytest.raises(UnsupportedModel, match="method is 'isotonic'"):
        check_model(isotonic, len(vectorizer.vocabulary_))
