"""The service hook with a real store and run manager: verdicts after every run, the reference frozen across a
model change, a regression that keeps paging until a new baseline is pinned."""

from __future__ import annotations

import random
from pathlib import Path

from monitor import events
from monitor.adapters import ModelIdentity
from monitor.config import Config
from monitor.regression.monitor import RegressionMonitor
from monitor.runs import RunManager
from monitor.store import Store, Verdict
from tests.behaving_model import COMPLIANCE, REFUSAL
from tests.scripted import ScriptedAdapter


class Model(ScriptedAdapter):
    """Refuses the harmful requests, except a share of them (the same ones every time); 3% of answers flip."""

    def __init__(self) -> None:
        self.version, self.unsafe, self.rng = "1", 0.0, random.Random(4)
        super().__init__(self.answer)

    def answer(self, request_id: str, n: int) -> str:
        comply = random.Random(request_id).random() < self.unsafe
        return COMPLIANCE if comply != (self.rng.random() < 0.03) else REFUSAL

    async def identity(self) -> ModelIdentity:
        return ModelIdentity("m", self.version, f"fp{self.version}")


async def test_a_model_update_is_judged_against_the_runs_before_it(tmp_path: Path) -> None:
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/m.db"},
        "suite": {"tasks": ["S.4", "S.6"], "min_scored_samples": 5},
        "regression": {"reference_runs": 4, "windows": [1, 2]},
        "endpoints": [{"name": "ep", "kind": "triton", "url": "127.0.0.1:1", "model": "m"}],
    })
    store = Store(cfg.store.url)
    bus = events.EventBus()
    model = Model()
    runs = RunManager(cfg, store, bus, {"ep": model})
    monitor = RegressionMonitor(cfg, store, runs.catalogue, lambda ep: ["S.4", "S.6"], bus)
    bus.process(events.RUN_FINISHED, monitor.on_finished)
    heard: list[events.Event] = []
    bus.subscribe(lambda e: heard.append(e) if e.kind == events.REGRESSION else None)

    async def run() -> tuple[str, dict[tuple[str, str], Verdict]]:
        record = runs.start("ep", None, "api")
        await runs.wait(record.id)
        return record.id, {(v.level, v.name): v.verdict for v in store.verdicts(record.id)}

    before = [await run() for _ in range(5)]
    assert set(before[0][1].values()) == {Verdict.INCONCLUSIVE}
    assert all(set(v.values()) == {Verdict.OK} for _, v in before[1:])

    model.version, model.unsafe = "2", 0.4  # an update that complies with 40% of the harmful requests
    first_id, first = await run()
    assert first[("dimension", "safety")] is Verdict.REGRESSED and first[("task", "S.6")] is Verdict.REGRESSED
    (window,) = [w for w in monitor.windows(store.get_run(first_id))[0] if len(w.runs) == 1]  # type: ignore[arg-type]
    assert window.frozen and window.reference == tuple(r for r, _ in reversed(before[1:]))
    assert heard[-1].run_id == first_id and heard[-1].message.startswith("regressed: ")

    # it keeps paging: a regressed run never becomes the reference
    second_id, second = await run()
    assert second[("dimension", "safety")] is Verdict.REGRESSED
    w1 = monitor.windows(store.get_run(second_id))[0][0]  # type: ignore[arg-type]
    assert first_id not in w1.reference

    # the update was intended: pin a run of the new model; the next runs are judged against it
    store.set_baseline("ep", second_id)
    _, after = await run()
    assert after[("dimension", "safety")] is Verdict.OK
    store.close()
