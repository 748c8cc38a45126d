"""``trust-monitor judge calibrate`` against a local OpenAI-format server acting as a scripted judge.

The scripted judge decides from the graded answer alone, deterministically: an HTTP 500 for some answers, an
unreadable "maybe later" for some others, otherwise "Yes" when the answer contains a refusal marker and "No." when
it does not. The expected counts, precision, recall and per-group shares are computed here from the corpus rows
with that same decision, independently of the module under test, and compared with what the CLI prints.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from probes.catalogue import all_tasks
from probes.eval.corpus import TASK_FAMILIES, Row, load
from probes.stats import wilson
from tests.openai_server import error, fake_openai

REPO = Path(__file__).resolve().parents[3]
MARKERS = ("sorry", "can't", "cannot", "won't", "not able", "no puedo", "je ne", "nicht")
# the judge prompt each corpus family is graded with (docs/judges.md)
PROMPT_OF = {"jailbreak": "S.4", "benign": "S.4", "toxicity": "S.4", "yesno_detection": "S.4", "pii_query": "P.6",
             "vision_privacy": "P.4"}


def _bucket(answer: str) -> int:
    return int(hashlib.sha256(answer.encode("utf-8")).hexdigest()[:8], 16)


def decide(answer: str) -> str:
    """The scripted judge's behaviour on one graded answer: 'failed', 'unreadable', 'yes' or 'no'."""
    if _bucket(answer) % 13 == 0:
        return "failed"
    if _bucket(answer) % 11 == 0:
        return "unreadable"
    return "yes" if any(m in answer.lower() for m in MARKERS) else "no"


def graded_answer(prompt: str) -> str:
    """Every judge prompt puts the answer after 'Answer to grade: ' and ends with one line of question."""
    return prompt.split("Answer to grade: ", 1)[1].rsplit("\n", 1)[0]


def judge_script(body: dict[str, Any], n: int) -> Any:
    outcome = decide(graded_answer(body["messages"][0]["content"][0]["text"]))
    if outcome == "failed":
        return error(500, "the judge is overloaded")
    return {"unreadable": "maybe later", "yes": "Yes", "no": "No."}[outcome]


def _config(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "endpoints:\n"
        "  - name: gpt-judge\n"
        "    kind: openai\n"
        f"    base_url: {base_url}\n"
        "    model: vision-test-1\n"
        "    retries: {max_attempts: 1}\n",
        encoding="utf-8",
    )
    return path


def _rate(hits: int, n: int) -> str:
    if n == 0:
        return "n/a (n=0)"
    low, high = wilson(hits, n)
    return f"{hits / n:.3f} [{low:.3f}, {high:.3f}] ({hits}/{n})"


def _expected_prompt(row: Row) -> str:
    template = all_tasks()[PROMPT_OF[row.task_family]].judge_prompt
    assert template is not None
    question = row.request or "(not recorded; judge the answer on its own)"
    return template.format(question=question, answer=row.text, target={"pii": row.pii_items})


def test_every_refusal_row_has_a_prompt_that_fits_it() -> None:
    assert set(PROMPT_OF) == set(TASK_FAMILIES)
    for row in load():
        if row.kind == "refusal":
            assert row.text in _expected_prompt(row)


async def test_calibrate_through_the_cli_prints_the_judge_figures(tmp_path: Path) -> None:
    rows = [r for r in load() if r.kind == "refusal" and r.split == "test"]
    outcomes = [decide(r.text) for r in rows]
    assert {"failed", "unreadable", "yes", "no"} <= set(outcomes)  # the script exercises every path

    async with fake_openai(judge_script) as server:
        config = _config(tmp_path, server.base_url)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor.cli", "judge", "calibrate", "--endpoint", "gpt-judge", "--config",
            str(config), "--split", "test", "--concurrency", "6",
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out_b, err_b = await asyncio.wait_for(proc.communicate(), timeout=120)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert re.search(rf"{len(rows)}/{len(rows)} graded", err)  # progress on stderr

    # exactly one judge request per row, with the prompt of its family
    prompts = Counter(body["messages"][0]["content"][0]["text"] for _, body in server.requests)
    assert prompts == Counter(_expected_prompt(r) for r in rows)

    pairs = [(r, o) for r, o in zip(rows, outcomes, strict=True)]
    judged = [(r, o) for r, o in pairs if o in ("yes", "no")]
    safe = [(r, o) for r, o in judged if r.label == "refused"]
    unsafe = [(r, o) for r, o in judged if r.label != "refused"]
    said_yes = [(r, o) for r, o in judged if o == "yes"]
    said_no = [(r, o) for r, o in judged if o == "no"]
    failed = outcomes.count("failed")
    lines = out.splitlines()
    assert lines[1] == (f"sent {len(rows)}, verdicts {len(judged)}, unreadable {outcomes.count('unreadable')}, "
                        f"failed {failed} (server_error {failed})")
    p_safe = _rate(sum(r.label == "refused" for r, _ in said_yes), len(said_yes))
    r_safe = _rate(sum(o == "yes" for _, o in safe), len(safe))
    p_unsafe = _rate(sum(r.label != "refused" for r, _ in said_no), len(said_no))
    r_unsafe = _rate(sum(o == "no" for _, o in unsafe), len(unsafe))
    assert lines[2] == f"safe    precision {p_safe}  recall {r_safe}"
    assert lines[3] == f"unsafe  precision {p_unsafe}  recall {r_unsafe}"

    def shares(key: str) -> dict[str, str]:
        groups: dict[str, list[bool]] = defaultdict(list)
        for r, o in judged:
            groups[getattr(r, key)].append((o == "yes") == (r.label == "refused"))
        return {k: _rate(sum(v), len(v)) for k, v in groups.items()}

    printed = {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+(?: \(\S+\))?)\s+(\S.*)$", out, re.MULTILINE)}
    for key in ("category", "language"):
        for name, share in shares(key).items():
            assert printed[name] == share, (key, name)
    for family, share in shares("task_family").items():
        assert printed[f"{family} ({PROMPT_OF[family]})"] == share
    assert len(printed) == sum(len(shares(key)) for key in ("category", "language", "task_family"))


async def test_json_output_and_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r for r in load() if r.kind == "refusal"][:40]
    async with fake_openai(judge_script) as server:
        config = _config(tmp_path, server.base_url)
        code = await asyncio.to_thread(main, ["judge", "calibrate", "--endpoint", "gpt-judge", "--config",
                                              str(config), "--limit", "40", "--json"])
        assert len(server.requests) == 40
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    outcomes = Counter(decide(r.text) for r in rows)
    assert (report["sent"], report["unreadable"], report["failed"]) == (40, outcomes["unreadable"],
                                                                        outcomes["failed"])
    assert report["verdicts"] == outcomes["yes"] + outcomes["no"]
    assert report["split"] == "all" and report["family_task"]["pii_query"] == "P.6"
    by_language = Counter(r.language for r in rows if decide(r.text) in ("yes", "no"))
    assert {k: v["n"] for k, v in report["by_language"].items()} == dict(by_language)


async def test_a_judge_that_never_answers_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with fake_openai(lambda body, n: error(500, "down")) as server:
        config = _config(tmp_path, server.base_url)
        code = await asyncio.to_thread(main, ["judge", "calibrate", "--endpoint", "gpt-judge", "--config",
                                              str(config), "--limit", "5"])
    captured = capsys.readouterr()
    assert code == 1
    assert "sent 5, verdicts 0, unreadable 0, failed 5 (server_error 5)" in captured.out
    assert "gave no readable verdict on any of 5 answers" in captured.err


@pytest.mark.parametrize(("argv", "message"), [
    (["--endpoint", "nope"], "no endpoint 'nope' (configured: gpt-judge)"),
    (["--endpoint", "gpt-judge", "--split", "dev"], "--split 'dev': use one of tune, test, fresh, all"),
    (["--endpoint", "gpt-judge", "--concurrency", "0"], "--concurrency must be at least 1"),
    (["--endpoint", "gpt-judge", "--limit", "0"], "--limit must be at least 1"),
])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                         message: str) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/v1")
    assert main(["judge", "calibrate", "--config", str(config), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_unreadable_or_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "absent.yaml"
    assert main(["judge", "calibrate", "--endpoint", "j", "--config", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("trust-monitor: ") and "cannot read" in err and len(err.splitlines()) == 1

    broken = tmp_path / "broken.yaml"
    broken.write_text("endpoints:\n  - name: j\n    kind: openai\n    bogus: 1\n", encoding="utf-8")
    assert main(["judge", "calibrate", "--endpoint", "j", "--config", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert "more; see 'trust-monitor config check" in err and len(err.splitlines()) == 1

    monkeypatch.delenv("TRUST_MONITOR_CONFIG", raising=False)
    from monitor.cli import build_parser

    args = build_parser().parse_args(["judge", "calibrate", "--endpoint", "j"])
    assert args.config is None
    assert main(["judge", "calibrate", "--endpoint", "j"]) == 2
    assert "--config PATH (or TRUST_MONITOR_CONFIG)" in capsys.readouterr().err


def test_select_and_prompts_before_anything_is_sent() -> None:
    from dataclasses import replace

    from monitor.judging.calibrate import CalibrationError, judge_prompts, select

    corpus = load()
    tune, test = select(corpus, "tune"), select(corpus, "test")
    assert {r.kind for r in tune + test} == {"refusal"} and {r.split for r in tune} == {"tune"}
    assert len(select(corpus, "all")) == len(tune) + len(test) + len(select(corpus, "fresh"))
    assert select(corpus, "test", limit=3) == test[:3]
    with pytest.raises(ValueError, match="unknown split"):
        select(corpus, "dev")
    row = next(r for r in corpus if r.kind == "refusal" and r.task_family == "jailbreak")
    bare = replace(all_tasks()["S.4"], judge_prompt=None)
    with pytest.raises(CalibrationError, match=f"corpus row {row.id} "):
        judge_prompts([row], {"S.4": bare})
