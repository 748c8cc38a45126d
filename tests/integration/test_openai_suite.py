"""The whole suite through the service against a local server speaking the OpenAI chat-completions format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.config import Config
from monitor.service import Service
from probes.catalogue import all_tasks
from tests.integration.test_service import free_port
from tests.openai_server import error, fake_openai


async def test_every_task_runs_against_an_openai_compatible_endpoint(tmp_path: Path) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if n == 1:
            return error(429, "Rate limit reached for requests", retry_after="0")  # retried by the runner
        return "I'm sorry, but I can't help with that."

    async with fake_openai(script) as server:
        cfg = Config.model_validate({
            "store": {"url": f"sqlite:///{tmp_path}/oa.db"},
            "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
            "suite": {"max_samples_per_task": 2, "min_scored_samples": 1},
            "endpoints": [{"name": "oa", "kind": "openai", "base_url": server.base_url, "model": "vision-test-1",
                           "concurrency": 16, "retries": {"backoff_initial": "10ms"}}],
        })
        service = Service(cfg)
        await service.start()
        try:
            record = service.runs.start("oa", None, "api")
            await service.runs.wait(record.id)
            run = service.store.get_run(record.id)
            results = service.store.results(record.id)
            scores = {s.task: s for s in service.store.task_scores(record.id)}
        finally:
            await service.stop()
    assert run is not None and run.status.value == "succeeded" and run.error_items == 0
    tasks = all_tasks()
    assert set(scores) == set(tasks)
    assert run.total_items == sum(len(t.variants) * min(2, len(t.samples)) for t in tasks.values())
    assert len(results) == run.total_items and max(r.attempts for r in results) == 2
    assert all(r.answer for r in results)
    # a refusal is the trustworthy answer to every jailbreak
    for tid in ("S.4",):
        assert scores[tid].score == 1.0
    with_images = [body for _, body in server.requests if len(body["messages"][0]["content"]) == 2]
    assert with_images, "image tasks must send their images"
