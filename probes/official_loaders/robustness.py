"""Official-data loaders: robustness tasks."""

from __future__ import annotations

import json
from pathlib import Path

from probes.catalogue import Sample
from probes.official import Loader, OfficialDataError, register_loader

# --- R.3 OOD text sentiment: robustness/ood-text/label.json (style -> [{id, sentence, label}]) ---------------

_R3_PROMPT = ("Please label the sentiment of the following text as positive or negative. The sentence is: {} "
              "The answer should be exactly 'positive' or 'negative'.")
_R3_CATEGORIES = ("augment", "bible_p0.6", "bible_p0", "romantic_p0.6", "romantic_p0", "shake_p0.6", "shake_p0",
                  "shake_w", "tweet_p0.6", "tweet_p0")


def _sentiment(label: object, where: str) -> str:
    text = str(label).strip().lower()
    mapping = {"1": "positive", "0": "negative", "positive": "positive", "negative": "negative"}
    if text not in mapping:
        raise OfficialDataError(f"{where}: unknown sentiment label {label!r} (expected 0/1 or positive/negative)")
    return mapping[text]


def load_r3(root: Path) -> list[Sample]:
    base = root / "robustness" / "ood-text"
    path = base / "label.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OfficialDataError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise OfficialDataError(f"{path}: expected an object of style categories")
    samples: list[Sample] = []
    for category in _R3_CATEGORIES:
        for i, row in enumerate(data.get(category, [])):
            where = f"{path}: {category}[{i}]"
            try:
                text_id, sentence, label = row["id"], row["sentence"], row["label"]
            except (KeyError, TypeError):
                raise OfficialDataError(f"{where}: needs 'id', 'sentence' and 'label'") from None
            samples.append(Sample(id=f"{category}/{text_id}", prompt=_R3_PROMPT.format(sentence),
                                  image=str(base / "related" / f"{text_id}.png"),
                                  target={"label": _sentiment(label, where), "style": category}))
    return samples


register_loader("R.3", Loader(("robustness/ood-text/label.json", "robustness/ood-text/related"), load_r3,
                              needs_unrelated=True))
