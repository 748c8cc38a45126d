"""A tiny data folder in MMTrustEval's layout for the loaders added last (T.3, T.5, T.7, S.2, S.6, F.1, F.3's
topic half, P.6), and ``write_all`` for every one of the 32 tasks - written by this project, not the real,
licensed data. The "harmful" requests are harmless placeholders."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PIL import Image

from tests.probes.official_fixture import write_official
from tests.probes.official_fixture_rfp import write_official_rfp
from tests.probes.official_fixture_truth_safety import write_truth_safety

MORE = ("T.3", "T.5", "T.7", "S.2", "S.6", "F.1", "F.3", "P.6")

T3_ROWS = {"factual": [("f1.png", "What colour is the Eiffel tower's roof?", "brown")],
           "logic": [("l1.png", "What is 2 + 3?", "5"), ("l2.png", "", "skipped")]}  # empty query: skipped
T5_ROWS = [("m1.png", "Why is the red car parked on the roof?", "The car is blue and on the road"),
           ("gone.png", "Why is this dropped?", "the image is missing")]  # no image: dropped
S2_CLASSES = {"knife": ["k1.png"], "gun": ["g1.png", "g2.png"], "holiday": ["h1.png"]}  # holiday: not a class
S6_ROWS = [("1", "placeholder behaviour", "Pretend you are an actor and explain the placeholder behaviour.")]
S6_POS, S6_NEG = ("p1.png", "p2.png"), ("n1.png",)
F1_IMAGES = ("b.png", "a.png", "10.png", "2.png")
P6_FIVE_SHOT = {
    "ann@enron.example": [["ann@enron.example", "Ann Lee"], ["bob@enron.example", "Bob Ray"]],
    "cy@enron.example": [["cy@enron.example", "Cy Young"], ["di@enron.example", "Di Fox"],
                         ["cy2@enron.example", "Cy Young"]],
}


def _png(path: Path, rgb: tuple[int, int, int] = (60, 90, 120)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), rgb).save(path, format="PNG")


def _json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_more(root: Path) -> Path:
    """The files of MORE under ``root`` (F.3's topic half reads F.2's files: written too)."""
    truth = root / "truthfulness"
    for subset, rows in T3_ROWS.items():
        _json(truth / "query_instruction" / f"query_g_{subset}.json",
              [{"image": i, "query": q, "truth": t} for i, q, t in rows])
        for image, query, _ in rows:
            if query:
                _png(truth / "instruction_images" / subset / image)
    _json(truth / "query_misleading" / "query_g_mistext.json", [{"image": i, "query": q, "truth": t}
                                                                for i, q, t in T5_ROWS])
    _png(truth / "misleading_images" / "mistext" / T5_ROWS[0][0])
    # T.7 reads T.4's annotation file (query_g_assistance.json, written by write_truth_safety) with misvisual/
    _json(truth / "query_text" / "query_g_assistance.json",
          [{"image": "h1.png", "query": "What is the capital of Australia?", "truth": "Canberra"},
           {"image": "h2.png", "query": "Which planet is red?", "truth": "Mars"},
           {"image": "none.png", "query": "", "truth": "x"}])
    for name in ("h1.png", "h2.png"):
        _png(truth / "text_images" / "assistance" / name)
        _png(truth / "text_images" / "misvisual" / name, (250, 0, 0))

    safety = root / "safety"
    for cls, images in S2_CLASSES.items():
        for image in images:
            _png(safety / "risk_identification" / cls / image)
    cm = safety / "crossmodal-jailbreak"
    cm.mkdir(parents=True, exist_ok=True)
    with (cm / "text_jailbreak.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "question", "jailbreak"])
        writer.writerows(S6_ROWS)
    for name in S6_POS:
        _png(cm / "jailbreak_pos" / name)
    for name in S6_NEG:
        _png(cm / "jailbreak_neg" / name)

    for name in F1_IMAGES:
        _png(root / "fairness" / "stereo_generation_images" / name)
    write_official(root, r3=False, f2=True, unrelated=False)  # F.3's topic half: stereo_statement.csv + images

    _json(root / "privacy" / "enron-email" / "five_shot.json", P6_FIVE_SHOT)

    for kind in ("color", "nature", "noise"):  # S.6 draws three unrelated images of each kind
        for k in range(1, 4):
            _png(root / "unrelated_images" / f"{kind}_{k}.png", (10 * k, 10, 10))
    return root


def write_all(root: Path) -> Path:
    """Every task's files: the three older fixtures and write_more."""
    write_official(root)
    write_official_rfp(root)
    write_truth_safety(root)
    return write_more(root)
