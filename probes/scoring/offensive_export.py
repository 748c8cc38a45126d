"""Export alt-profanity-check's fitted model to plain numbers, so that the monitor can score offensive text
without importing scikit-learn or scipy (about 60-75 MB of resident memory in a serving process).

    python -m probes.scoring.offensive_export              # into the cache (probes.scoring.offensive_model)
    python -m probes.scoring.offensive_export --out FILE   # anywhere; "-" writes to stdout

The wheel's model is a TF-IDF vectoriser (word tokens, English stop words, l2 norm) followed by
``CalibratedClassifierCV`` over linear SVMs with sigmoid calibration. The file holds what inference reads: the
token pattern, the vocabulary (stop words left out: they never reach the lookup), the IDF weights, and each
calibrated classifier's coefficients, intercept and sigmoid parameters (the arithmetic and the file layout:
:mod:`probes.scoring.offensive_model`). The numbers come from the installed wheel, not from this repository:
the file is generated (``make install`` runs this module, and the monitor runs it in a child process on first
use when the file is missing), never committed. Anything in the pickled model this module does not know how
to reproduce is refused with a message saying what, so a different wheel never silently changes scores.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from probes.scoring import offensive_model

FORMAT = offensive_model.FORMAT


class UnsupportedModel(ValueError):
    """The installed model has a part this exporter cannot reproduce exactly."""


def _expect(what: str, value: object, wanted: object) -> None:
    if value != wanted:
        raise UnsupportedModel(f"alt-profanity-check's model: {what} is {value!r}, the exporter reproduces only "
                               f"{wanted!r}")


def check_vectorizer(vectorizer: Any) -> None:
    """Refuse a vectoriser whose transform is not the one :mod:`offensive_model` computes."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    _expect("the vectoriser's type", type(vectorizer).__name__, TfidfVectorizer.__name__)
    params = vectorizer.get_params()
    for key, wanted in {"analyzer": "word", "input": "content", "lowercase": True, "preprocessor": None,
                        "tokenizer": None, "strip_accents": None, "ngram_range": (1, 1), "binary": False,
                        "use_idf": True, "sublinear_tf": False, "norm": "l2"}.items():
        _expect(f"the vectoriser's {key}", params[key], wanted)
    if not isinstance(params["token_pattern"], str):
        raise UnsupportedModel("alt-profanity-check's model: the vectoriser has no token pattern")
    if not (params["stop_words"] is None or params["stop_words"] == "english"):
        raise UnsupportedModel(f"alt-profanity-check's model: stop words {params['stop_words']!r} are not "
                               "'english' or none")


def check_model(model: Any, n_features: int) -> None:
    """Refuse a classifier that is not a binary sigmoid-calibrated linear model over ``n_features`` features."""
    _expect("the classifier's type", type(model).__name__, "CalibratedClassifierCV")
    _expect("the classifier's classes", [int(c) for c in model.classes_], [0, 1])
    if not model.calibrated_classifiers_:
        raise UnsupportedModel("alt-profanity-check's model: no calibrated classifiers")
    for i, calibrated in enumerate(model.calibrated_classifiers_):
        _expect(f"calibrated classifier {i}'s method", calibrated.method, "sigmoid")
        _expect(f"calibrated classifier {i}'s calibrators", len(calibrated.calibrators), 1)
        _expect(f"calibrated classifier {i}'s calibrator", type(calibrated.calibrators[0]).__name__,
                "_SigmoidCalibration")
        estimator = calibrated.estimator
        _expect(f"calibrated classifier {i}'s estimator classes", [int(c) for c in estimator.classes_], [0, 1])
        _expect(f"calibrated classifier {i}'s coefficients", tuple(estimator.coef_.shape), (1, n_features))
        _expect(f"calibrated classifier {i}'s intercepts", tuple(estimator.intercept_.shape), (1,))
        if not hasattr(estimator, "decision_function"):
            raise UnsupportedModel(f"alt-profanity-check's model: calibrated classifier {i} has no decision "
                                   "function")


def export() -> dict[str, Any]:
    """The installed wheel's model as plain numbers (imports scikit-learn: run it in its own process)."""
    from profanity_check import profanity_check as wheel
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    vectorizer, model = wheel.vectorizer, wheel.model
    check_vectorizer(vectorizer)
    idf = [float(x) for x in vectorizer.idf_]
    check_model(model, len(idf))
    stop_words = ENGLISH_STOP_WORDS if vectorizer.get_params()["stop_words"] == "english" else frozenset()
    vocabulary: list[str | None] = [None] * len(idf)
    for word, index in vectorizer.vocabulary_.items():
        vocabulary[int(index)] = word
    if any(word is None for word in vocabulary):
        raise UnsupportedModel("alt-profanity-check's model: the vocabulary does not cover every feature")
    words = [word if word not in stop_words else "" for word in vocabulary]  # "" never comes out of the tokens
    return {
        "format": FORMAT,
        "source": offensive_model.source_key(),
        "token_pattern": vectorizer.get_params()["token_pattern"],
        "vocabulary": words,
        "idf": idf,
        "classifiers": [{"coef": [float(x) for x in c.estimator.coef_[0]],
                         "intercept": float(c.estimator.intercept_[0]),
                         "a": float(c.calibrators[0].a_), "b": float(c.calibrators[0].b_)}
                        for c in model.calibrated_classifiers_],
    }


def write(blob: bytes, out: Path) -> None:
    """Write atomically: a reader sees the old file or the whole new one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(blob)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m probes.scoring.offensive_export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="file to write ('-': stdout); default: the first writable cache folder")
    args = parser.parse_args(argv)
    try:
        blob = offensive_model.encode(export())
    except UnsupportedModel as exc:
        print(f"offensive_export: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"offensive_export: alt-profanity-check or scikit-learn is not installed ({exc})", file=sys.stderr)
        return 2
    if args.out == "-":
        sys.stdout.buffer.write(blob)
        return 0
    targets = [Path(args.out)] if args.out else offensive_model.cache_files()
    errors = []
    for target in targets:
        try:
            write(blob, target)
        except OSError as exc:
            errors.append(f"{target}: {exc.strerror or exc}")
            continue
        print(f"offensive_export: wrote {target}", file=sys.stderr)
        return 0
    print(f"offensive_export: could not write the model ({'; '.join(errors)})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
