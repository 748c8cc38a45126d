"""alt-profanity-check's probabilities computed in plain Python from an exported copy of its fitted model, so
that scoring S.1/S.3 never imports scikit-learn or scipy into the monitor (they cost a serving process about
60-75 MB of resident memory; this module's model takes about 4 MB).

The wheel's ``predict_prob(texts)`` is, for each text (scikit-learn 1.9's ``TfidfVectorizer`` and
``CalibratedClassifierCV`` with sigmoid calibration, written out):

1. tokens: ``re.findall(token_pattern, text.lower())``, English stop words dropped, the rest looked up in the
   vocabulary (unknown words dropped); ``x[j]`` = count of word ``j`` × ``idf[j]``, then ``x /= ||x||₂``
   (unless zero);
2. for each of the calibrated classifiers: ``d = x · coef + intercept`` and ``p = expit(-(a·d + b))``;
3. the mean of the ``p``.

The numbers come from the installed wheel through :mod:`probes.scoring.offensive_export`, into a cache file
named after a digest of the wheel's model files and the versions of alt-profanity-check and scikit-learn: a
different wheel gets a new export, never stale numbers. Where the file lives, in order: ``$TRUST_MONITOR_CACHE_DIR``
when set, else ``<venv>/share/trust-monitor`` (``make install`` writes it there) and
``$XDG_CACHE_HOME/trust-monitor`` (``~/.cache/trust-monitor``). When none holds a good copy, the first use runs
the exporter in a child process (a second or two, once; the child's memory is not the monitor's) and keeps its
result in the first writable folder. tests/probes/test_offensive_model.py checks the probabilities against
``profanity_check.predict_prob`` to 1e-9 on every labelled text in the repository.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import re
import subprocess
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import probes

FORMAT = 2
MAGIC = b"trust-monitor offensive-language model\n"
CACHE_ENV = "TRUST_MONITOR_CACHE_DIR"
EXPORT_TIMEOUT_S = 300.0

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The classifier's model could neither be read from the cache nor exported."""


def _wheel_data() -> list[Path]:
    """The wheel's pickled model files, found without importing the package (that would load scikit-learn)."""
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the offensive-language classifier needs alt-profanity-check, which is not "
                               "installed (pip install alt-profanity-check==1.9.1)")
    files = sorted(p for folder in spec.submodule_search_locations for p in (Path(folder) / "data").glob("*.joblib"))
    if not files:
        raise ModelUnavailable(f"alt-profanity-check has no model files under {spec.submodule_search_locations}")
    return files


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def source_key() -> str:
    """A digest of what the probabilities depend on: the wheel's model files and the library versions that
    unpickle and run them, and this module's format."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for dist in ("alt-profanity-check", "scikit-learn"):
        digest.update(f"{dist} {_version(dist)}\n".encode())
    for path in _wheel_data():
        digest.update(f"{path.name} ".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_dirs() -> list[Path]:
    """Folders searched for the exported model, in order; the first writable one receives a new export."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return [Path(override)]
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(sys.prefix) / "share" / "trust-monitor", Path(xdg) / "trust-monitor"]


def cache_files(key: str | None = None) -> list[Path]:
    name = f"offensive-model-{(key or source_key())[:16]}.bin"
    return [folder / name for folder in cache_dirs()]


def _expit(x: float) -> float:
    """The logistic function without overflow (scipy.special.expit's value)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Model:
    """The exported model; :meth:`probabilities` returns what ``profanity_check.predict_prob`` returns."""

    def __init__(self, token_pattern: str, words: Sequence[str], idf: array[float],
                 classifiers: Sequence[tuple[array[float], float, float, float]]) -> None:
        n = len(words)
        if len(idf) != n or not classifiers or any(len(coef) != n for coef, *_ in classifiers):
            raise ValueError("the vocabulary, IDF weights and coefficients differ in length")
        numbers = (x for seq in (idf, *(c[0] for c in classifiers), *(c[1:] for c in classifiers)) for x in seq)
        if not all(math.isfinite(x) for x in numbers):
            raise ValueError("a weight is not a finite number")
        self._token = re.compile(token_pattern)
        self._index = {word: i for i, word in enumerate(words) if word}  # "" marks a stop word: never looked up
        self._idf = idf
        self._classifiers = [(coef, float(intercept), float(a), float(b)) for coef, intercept, a, b in classifiers]

    def probability(self, text: str) -> float:
        counts: dict[int, int] = {}
        for token in self._token.findall(text.lower()):
            j = self._index.get(token)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        features = sorted(counts)  # scikit-learn's sparse row order
        values = [counts[j] * self._idf[j] for j in features]
        norm = 0.0
        for v in values:
            norm += v * v
        norm = math.sqrt(norm)
        if norm != 0.0:
            values = [v / norm for v in values]
        total = 0.0
        for coef, intercept, a, b in self._classifiers:
            d = 0.0
            for j, v in zip(features, values, strict=True):
                d += v * coef[j]
            total += _expit(-(a * (d + intercept) + b))
        return total / len(self._classifiers)

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        return [self.probability(text) for text in texts]


def _doubles(values: Sequence[float]) -> bytes:
    out = array("d", values)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def encode(data: dict[str, Any]) -> bytes:
    """The file for an export (:func:`probes.scoring.offensive_export.export`'s dict): a magic line, a JSON header
    line, the vocabulary as UTF-8 lines, then little-endian float64 arrays (IDF, then each classifier's
    coefficients). Read back without making a Python float per weight (JSON would hold several MB more)."""
    words = "\n".join(data["vocabulary"]).encode()
    header = {"format": data["format"], "source": data["source"], "token_pattern": data["token_pattern"],
              "features": len(data["vocabulary"]), "vocabulary_bytes": len(words),
              "classifiers": [{k: c[k] for k in ("intercept", "a", "b")} for c in data["classifiers"]]}
    arrays = [_doubles(data["idf"]), *(_doubles(c["coef"]) for c in data["classifiers"])]
    return b"".join([MAGIC, json.dumps(header).encode(), b"\n", words, *arrays])


def decode(blob: bytes) -> tuple[dict[str, Any], Model]:
    """(header, model) of a file made by :func:`encode`; ValueError says what is wrong."""
    if not blob.startswith(MAGIC):
        raise ValueError("not an exported offensive-language model")
    end = blob.find(b"\n", len(MAGIC))
    header = json.loads(blob[len(MAGIC):end])
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"format {header.get('format') if isinstance(header, dict) else None!r}, not {FORMAT}")
    n, size, specs = int(header["features"]), int(header["vocabulary_bytes"]), header["classifiers"]
    words = blob[end + 1:end + 1 + size].decode().split("\n")
    numbers = memoryview(blob)[end + 1 + size:]
    if len(numbers) != 8 * n * (1 + len(specs)):
        raise ValueError(f"the arrays hold {len(numbers) // 8} numbers, not {n * (1 + len(specs))}")
    arrays = []
    for i in range(1 + len(specs)):
        values = array("d")
        values.frombytes(numbers[8 * n * i:8 * n * (i + 1)])
        if sys.byteorder == "big":
            values.byteswap()
        arrays.append(values)
    classifiers = [(coef, float(c["intercept"]), float(c["a"]), float(c["b"])) for coef, c in zip(arrays[1:], specs,
                                                                                                 strict=True)]
    return header, Model(header["token_pattern"], words, arrays[0], classifiers)


def _read(path: Path, key: str) -> Model | None:
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("offensive-language model %s is unreadable (%s); exporting it again", path, exc.strerror)
        return None
    try:
        header, model = decode(blob)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        log.warning("offensive-language model %s is malformed (%s); exporting it again", path, exc)
        return None
    if header.get("source") != key:
        log.warning("offensive-language model %s is from another wheel; exporting it again", path)
        return None
    return model


def _export_in_child() -> bytes:
    """Run the exporter in its own process, so scikit-learn is loaded (and its memory held) there, not here."""
    root = str(Path(next(iter(probes.__path__))).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        proc = subprocess.run([sys.executable, "-m", "probes.scoring.offensive_export", "--out", "-"],
                              capture_output=True, env=env, timeout=EXPORT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailable(f"exporting alt-profanity-check's model failed: {exc}") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ModelUnavailable("exporting alt-profanity-check's model failed (python -m "
                               f"probes.scoring.offensive_export exited {proc.returncode}): {' / '.join(tail)}")
    return proc.stdout


def load() -> Model:
    """The model from the first good cache file, else exported now (and cached where a folder is writable)."""
    key = source_key()
    files = cache_files(key)
    for path in files:
        model = _read(path, key)
        if model is not None:
            return model
    blob = _export_in_child()
    try:
        header, model = decode(blob)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ModelUnavailable(f"the exported model is malformed ({exc})") from None
    if header.get("source") != key:
        raise ModelUnavailable("the exported model is not from the installed alt-profanity-check wheel")
    from probes.scoring.offensive_export import write

    for path in files:
        try:
            write(blob, path)
        except OSError as exc:
            log.debug("cannot keep the offensive-language model in %s: %s", path, exc)
            continue
        log.info("offensive-language model exported to %s", path)
        break
    else:
        log.warning("offensive-language model exported but not kept: no writable folder among %s (set %s)",
                    ", ".join(str(p.parent) for p in files), CACHE_ENV)
    return model
