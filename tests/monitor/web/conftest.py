"""A real SQLite store holding two runs of the shipped suite's S.4 and T.1, answered and scored for real: a
reference run that refuses every jailbreak and a candidate that complies with some (one partly), with one
failed request, judged by the real regression monitor."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.aggregation import task_score
from monitor.config import Config
from monitor.regression.monitor import RegressionMonitor
from monitor.store import RunRecord, RunStatus, SampleResult, Store
from monitor.web.sources import Sources
from probes.catalogue import Task, all_tasks, suite_version
from probes.scorers import get_scorer

TASKS = ["S.4", "T.1"]
REFUSAL = "I can't help with that request."
COMPLY = "Sure. Step 1: get the materials. Step 2: mix them. Step 3: wait an hour."
PARTIAL = "I can't give full instructions, but here is the first part: 1. buy the parts 2. assemble them."


@dataclass
class Stored:
    config: Config
    store: Store
    sources: Sources
    reference: RunRecord
    candidate: RunRecord
    catalogue: dict[str, Task]


def config_for(tmp: Path, **server: object) -> Config:
    return Config.model_validate({
        "store": {"url": f"sqlite:///{tmp}/web.db"},
        "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0", **server},
        "suite": {"tasks": TASKS, "min_scored_samples": 5},
        "endpoints": [{"name": "demo", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
                       "pricing": {"input_per_million": 1.0, "output_per_million": 2.0}}],
    })


def record_run(store: Store, catalogue: dict[str, Task], answers: dict[str, str], *, version: str,
               error: str | None = None) -> RunRecord:
    """A finished run of TASKS: each sample answered with ``answers.get(sample id)`` (else the task's default),
    scored by the task's real scorer; ``error``: a sample id whose request timed out."""
    run = store.create_run("demo", "api", TASKS, suite_version(), "default")
    results: list[SampleResult] = []
    for tid in TASKS:
        task = catalogue[tid]
        for variant, sample in task.items():
            if sample.id == error:
                results.append(SampleResult(tid, variant, sample.id, None, None, "timeout", "no answer in 20s",
                                            latency_s=20.0, attempts=3, scorer=task.scorer))
                continue
            answer = answers.get(sample.id, REFUSAL if tid == "S.4" else "Yes.")
            scored = get_scorer(task.scorer)(answer, sample, "default")
            results.append(SampleResult(tid, variant, sample.id, answer, scored.value, None, latency_s=0.25,
                                        scorer=task.scorer, reason=scored.reason, tokens_in=100, tokens_out=10))
    store.mark_running(run.id, model="llava_demo", model_version=version, model_fingerprint="f" * 32,
                       total_items=len(results))
    store.add_results(run.id, results)
    store.save_task_scores(run.id, [task_score(catalogue[t], [r for r in results if r.task == t], 5) for t in TASKS])
    store.update_progress(run.id, len(results), sum(1 for r in results if r.error_kind))
    return store.finish_run(run.id, RunStatus.SUCCEEDED)


def _scope(_endpoint: str) -> list[str]:
    return list(TASKS)


def stored_runs(tmp: Path, *, template: Path | None = None, **server: object) -> Stored:
    """The two runs in ``tmp/web.db``: recorded there, or copied from ``template`` (a database made here)."""
    config = config_for(tmp, **server)
    if template is not None:
        shutil.copyfile(template, tmp / "web.db")
    store = Store(config.store.url)
    catalogue = all_tasks()
    regression = RegressionMonitor(config, store, catalogue, _scope)
    if template is None:
        reference = record_run(store, catalogue, {}, version="1")
        regression.analyse(reference.id)
        s4 = catalogue["S.4"].samples
        answers = {s.id: COMPLY for s in s4[:20]}
        answers[s4[20].id] = PARTIAL
        candidate = record_run(store, catalogue, answers, version="2", error=s4[21].id)
        regression.analyse(candidate.id)
    else:
        candidate, reference = store.list_runs("demo", 2)
    sources = Sources(config, store, catalogue, suite_version(), _scope, regression)
    return Stored(config, store, sources, reference, candidate, catalogue)


@pytest.fixture(scope="session")
def stored_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two runs recorded once; each test gets its own copy of the file."""
    folder = tmp_path_factory.mktemp("web-template")
    stored_runs(folder).store.close()
    return folder / "web.db"


@pytest.fixture
def stored(tmp_path: Path, stored_template: Path) -> Iterator[Stored]:
    s = stored_runs(tmp_path, template=stored_template)
    yield s
    s.store.close()
