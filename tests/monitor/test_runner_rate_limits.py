"""The runner against an endpoint that rate-limits: the limit adapts, retries wait, nothing fails for good."""

from __future__ import annotations

from pathlib import Path

from monitor import events
from monitor.adapters import AdapterError, ErrorKind
from monitor.config import RetryConfig, TritonEndpoint
from monitor.runner import Runner, WorkItem
from monitor.store import RunStatus, Store
from probes.catalogue import Dimension, Modality, Sample, Task
from tests.scripted import ScriptedAdapter

TASK = Task(id="T.1", name="test", dimension=Dimension.TRUTHFULNESS, subdimension="inherent_deficiency",
            modality=Modality.MM, scorer="yes_no_accuracy", summary="", original_metric="", fidelity="")


async def test_a_rate_limited_endpoint_gets_every_request_answered(tmp_path: Path) -> None:
    allowed = 3  # the vendor serves 3 at once and answers 429 (Retry-After 10 ms) beyond

    adapter: ScriptedAdapter

    def script(rid: str, n: int) -> str | AdapterError:
        if adapter.in_flight > allowed:
            return AdapterError(ErrorKind.RATE_LIMITED, "429", retry_after=0.01)
        return "Yes"

    adapter = ScriptedAdapter(script, delay=0.01)
    endpoint = TritonEndpoint.model_validate({
        "name": "limited", "kind": "triton", "url": "127.0.0.1:1", "model": "m", "concurrency": 16,
        "retries": RetryConfig(max_attempts=2, backoff_initial=0.01, backoff_max=0.05)})
    store = Store(f"sqlite:///{tmp_path}/runs.db")
    try:
        limits: list[tuple[str, int]] = []
        runner = Runner(store, events.EventBus())
        runner.on_limit = lambda name, value: limits.append((name, value))
        run = store.create_run("limited", "api", ["T.1"], "v", "default")
        items = [WorkItem(TASK, "default", Sample(id=f"s{i}", prompt=f"q{i}", target={"answer": "yes"}))
                 for i in range(60)]
        await runner.execute(run.id, "api", endpoint, adapter, items, profile="default", min_scored=10,
                             identity=await adapter.identity())
        results = store.results(run.id)
        record = store.get_run(run.id)
    finally:
        store.close()
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert len(results) == 60 and all(r.error_kind is None for r in results)  # none failed for rate limiting
    assert max(r.attempts for r in results) > endpoint.retries.max_attempts  # retried beyond the usual budget
    assert limits[0] == ("limited", 16) and min(v for _, v in limits) < 16  # cut from the configured ceiling
