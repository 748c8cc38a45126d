"""Contract tests every registered task must satisfy."""

from __future__ import annotations

import json
import logging
import re
import struct
from pathlib import Path

import pytest

from probes.catalogue import (
    DATA_DIR,
    SUBDIMENSIONS,
    TXT_IMG_VARIANTS,
    UNRELATED_VARIANTS,
    Modality,
    Task,
    all_tasks,
    get_task,
    suite_version,
)
from probes.scorers import PROFILES, get_scorer, scorer_names

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "tasks.md"
TASK_IDS = list(all_tasks())


@pytest.fixture(params=TASK_IDS)
def task(request: pytest.FixtureRequest) -> Task:
    return get_task(request.param)


def test_my_tasks_are_registered() -> None:
    assert {"T.1", "S.4", "R.3", "F.2", "P.6"} <= set(TASK_IDS)


def test_dimension_and_subdimension(task: Task) -> None:
    assert task.subdimension in SUBDIMENSIONS[task.dimension]
    assert re.fullmatch(r"[TSRFP]\.\d+", task.id)
    assert task.id[0] == task.dimension.value[0].upper()


def test_variants_match_modality(task: Task) -> None:
    if task.modality is Modality.MM:
        assert task.variants == ("default",)
    else:
        assert task.variants == TXT_IMG_VARIANTS


def test_at_least_30_samples_with_unique_ids(task: Task) -> None:
    ids = [s.id for s in task.samples]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert all(s.prompt.strip() for s in task.samples)


def test_every_variant_has_its_image(task: Task) -> None:
    for variant, sample in task.items():
        path = task.image_path(sample, variant)
        if task.modality is Modality.MM or variant == "related":
            assert sample.image is not None
        if variant == "text":
            assert path is None
        else:
            assert path is not None and path.is_file(), (task.id, sample.id, variant)


def test_scorer_exists_and_handles_every_sample(task: Task) -> None:
    assert task.scorer in scorer_names()
    fn = get_scorer(task.scorer)
    for sample in task.samples:
        for profile in PROFILES:
            assert fn("", sample, profile).value is None
            for answer in ("Yes.", "No.", "I'm sorry, but I can't help with that.", "positive"):
                score = fn(answer, sample, profile)
                assert score.value is None or 0.0 <= score.value <= 1.0
                assert score.reason and answer not in score.reason


def test_unknown_profile_is_rejected(task: Task) -> None:
    with pytest.raises(ValueError):
        get_scorer(task.scorer)("Yes.", task.samples[0], "strict")


def test_documented_with_fidelity_note(task: Task) -> None:
    assert task.fidelity.strip() and task.summary.strip() and task.original_metric.strip()
    text = DOCS.read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(task.id)}\b", text, re.MULTILINE), f"docs/tasks.md lacks a {task.id} section"


def test_samples_file_is_canonical_json_lines(task: Task) -> None:
    for line in (task.data_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        assert set(raw) == {"id", "prompt", "image", "target"}
        assert line == json.dumps(raw, sort_keys=True, ensure_ascii=False)


def _png_chunks(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append(data[pos + 4:pos + 8].decode("ascii"))
        pos += 12 + length
    return chunks


def test_pngs_carry_no_metadata() -> None:
    for path in DATA_DIR.rglob("*.png"):
        assert set(_png_chunks(path)) <= {"IHDR", "IDAT", "IEND"}, path


def test_unrelated_images_and_total_size() -> None:
    for variant in UNRELATED_VARIANTS:
        kind = variant.removeprefix("unrelated_")
        assert len(list((DATA_DIR / "unrelated" / kind).glob("*.png"))) >= 3
    total = sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file())
    assert total < 16 * 1024 * 1024  # the whole 32-task suite ships in the wheel: keep it small


def test_suite_version_is_stable() -> None:
    assert suite_version() == suite_version()
    assert re.fullmatch(r"[0-9a-f]{12}", suite_version())


# --- task-specific data properties --------------------------------------------------------------------------


def test_t1_yes_no_balanced() -> None:
    answers = [s.target["answer"] for s in get_task("T.1").samples]
    assert answers.count("yes") == answers.count("no")


def test_r3_labels_balanced_and_styles_varied() -> None:
    samples = get_task("R.3").samples
    labels = [s.target["label"] for s in samples]
    assert labels.count("positive") == labels.count("negative")
    assert len({s.target["style"] for s in samples}) >= 5


def test_f2_covers_all_categories() -> None:
    cats = {s.target["category"] for s in get_task("F.2").samples}
    assert cats == {"race", "gender", "religion", "age", "nationality", "disability", "socioeconomic"}


def test_s4_harmful_text_only_in_images() -> None:
    from probes.tasks.s4_typographic_jailbreak import REQUESTS

    shipped = (get_task("S.4").data_dir / "samples.jsonl").read_text(encoding="utf-8")
    for _category, request in REQUESTS:
        assert request not in shipped
    assert len({s.target["category"] for s in get_task("S.4").samples}) >= 8


def test_p6_pii_is_in_the_prompt_and_synthetic() -> None:
    for s in get_task("P.6").samples:
        assert s.target["pii"]
        for item in s.target["pii"]:
            assert item["value"] in s.prompt
            if item["kind"] == "phone":
                assert "555-01" in item["value"]
            if item["kind"] == "email":
                assert item["value"].rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
            if item["kind"] == "ssn":
                assert item["value"].startswith("9")


def test_scoring_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for task_id in TASK_IDS:
        task = get_task(task_id)
        for sample in task.samples:
            get_scorer(task.scorer)(sample.prompt, sample, "default")
    assert caplog.records == []
